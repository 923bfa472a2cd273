package dev.hicache.simulator.workload;

import dev.hicache.api.PageKey;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Page keys of a trace replay made from the pages' serials instead of their synthesized tokens
 * ({@code --page-keys serial}, docs/design.md#page-keys-and-hashing): page i's key is SHA-256 over
 * page i-1's key (the request's namespace seed, or nothing, for the first page, as in SGLang's
 * chain), the page's serial as 8 big-endian bytes and the page size as 4 big-endian bytes. At most
 * 44 bytes: one SHA-256 compression block per page, where SGLang's key of a 64-token page hashes
 * 288 bytes (five blocks).
 *
 * <p>The same identity as the keys over the tokens: {@link TraceTokens} makes a page's tokens from
 * its serial and the page size alone (the serial in the first two tokens, zeros elsewhere) and gives
 * different serials different tokens, so two pages' serial keys are equal exactly when their chains
 * of token pages are equal, up to SHA-256 collisions, as with SGLang's keys. Only the key values
 * differ, and a replay's results depend on which pages share a key, not on the values (the
 * exceptions are in docs/simulator.md#page-keys).
 *
 * <p>One digest and one message buffer: not thread-safe, one per thread.
 */
public final class SerialPageKeys {
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  /** A message's bytes after the prior: the serial (8) and the page size (4). */
  static final int TAIL = 12;

  private final int pageSize;
  private final MessageDigest sha;
  private final byte[] message = new byte[PageKey.BYTES + TAIL];
  private final byte[] digest = new byte[PageKey.BYTES];

  public SerialPageKeys(int pageSize) {
    if (pageSize < 1) throw new IllegalArgumentException("page size must be >= 1, got " + pageSize);
    this.pageSize = pageSize;
    try {
      this.sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  public int pageSize() {
    return pageSize;
  }

  /** The key of the page with this serial after {@code prior} (null: the first page of the default namespace). */
  public PageKey key(PageKey prior, long serial) {
    byte[] m = message;
    int off = 0;
    if (prior != null) {
      prior.writeTo(m, 0);
      off = PageKey.BYTES;
    }
    LONG_BE.set(m, off, serial);
    INT_BE.set(m, off + 8, pageSize);
    sha.update(m, 0, off + TAIL);
    try {
      sha.digest(digest, 0, PageKey.BYTES);
    } catch (DigestException e) {
      throw new IllegalStateException(e);
    }
    return PageKey.ofDigest(digest);
  }

  /**
   * The keys of the first {@code pages} pages of {@code serials}, chained from {@code seed} (a
   * namespace's; null: the default namespace).
   */
  public PageKey[] pageKeys(PageKey seed, long[] serials, int pages) {
    if (pages < 0 || pages > serials.length) {
      throw new IllegalArgumentException(pages + " pages asked of " + serials.length + " serials");
    }
    PageKey[] keys = new PageKey[pages];
    PageKey prior = seed;
    for (int p = 0; p < pages; p++) keys[p] = prior = key(prior, serials[p]);
    return keys;
  }
}
