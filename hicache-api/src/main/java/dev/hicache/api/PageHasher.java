package dev.hicache.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.DigestException;
import java.util.ArrayList;
import java.util.List;

/**
 * SGLang's chained page hash (docs/behaviour.md#page-hash-chain): page i's key is SHA-256 over page
 * i-1's raw 32-byte digest (absent for the first page of a chain unless a prior or a namespace seed
 * applies), followed by each token id as 4 little-endian bytes.
 *
 * <p>One hasher reuses one digest and one message buffer, so it is not thread-safe: give each
 * thread its own. Hashing a page costs one {@code MessageDigest} call over exactly the bytes
 * SGLang hashes, nothing more.
 */
public final class PageHasher {
  // Token ids go into the message as one bulk little-endian copy (a plain memory copy on
  // little-endian machines) instead of four byte stores each, which cost a visible share of the
  // digest (docs/design.md#page-keys-and-hashing).
  private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private final int pageSize;
  private final MessageDigest sha = Namespace.sha256();
  private final byte[] message;
  private final MemorySegment messageSegment;
  /** The key the last call returned; its 32 bytes are still at the start of {@link #message}. */
  private PageKey last;

  public PageHasher(int pageSize) {
    if (pageSize < 1) throw new IllegalArgumentException("page size must be >= 1, got " + pageSize);
    this.pageSize = pageSize;
    this.message = new byte[PageKey.BYTES + 4 * pageSize];
    this.messageSegment = MemorySegment.ofArray(message);
  }

  public int pageSize() {
    return pageSize;
  }

  /** The key of the page {@code tokens[from .. from+pageSize)}, chained from {@code prior} (may be null). */
  public PageKey hashPage(PageKey prior, int[] tokens, int from) {
    if (from < 0 || from + pageSize > tokens.length) throw outside(from, tokens.length);
    int off = 0;
    if (prior != null) {
      // The digest of the previous call is still in place: a chain skips re-encoding its prior.
      if (prior != last) prior.writeTo(message, 0);
      off = PageKey.BYTES;
    }
    last = null;
    MemorySegment.copy(tokens, from, messageSegment, INT_LE, off, pageSize);
    sha.update(message, 0, off + 4 * pageSize);
    try {
      sha.digest(message, 0, PageKey.BYTES);
    } catch (DigestException e) {
      throw new IllegalStateException(e);
    }
    last = PageKey.ofDigest(message, 0);
    return last;
  }

  private IllegalArgumentException outside(int from, int length) {
    return new IllegalArgumentException("page [" + from + ", " + (from + pageSize)
        + ") is outside the " + length + " tokens given");
  }

  /**
   * Keys of every full page of {@code tokens[from .. to)}, chained from {@code prior}. The partial
   * tail gets no key (it is never written to L3).
   */
  public List<PageKey> chain(PageKey prior, int[] tokens, int from, int to) {
    int pages = (to - from) / pageSize;
    List<PageKey> keys = new ArrayList<>(pages);
    PageKey k = prior;
    for (int p = 0; p < pages; p++) {
      k = hashPage(k, tokens, from + p * pageSize);
      keys.add(k);
    }
    return keys;
  }

  /** Keys of every full page of a sequence that starts at the beginning of a token stream. */
  public List<PageKey> chain(int[] tokens) {
    return chain(null, tokens, 0, tokens.length);
  }

  /**
   * Keys of a chain start in a namespace: the explicit prior wins; without one the namespace seed
   * (if any) is the first page's prior (docs/behaviour.md#namespaces).
   */
  public List<PageKey> chain(PageKey explicitPrior, Namespace ns, int[] tokens) {
    PageKey prior = explicitPrior != null ? explicitPrior : (ns == null ? null : ns.seed());
    return chain(prior, tokens, 0, tokens.length);
  }
}
