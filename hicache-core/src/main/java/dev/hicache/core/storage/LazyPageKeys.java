package dev.hicache.core.storage;

import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import java.util.AbstractList;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * The page keys of a prefetch's span, hashed on first use: page {@code i} is {@code tokens[from +
 * i * pageSize ..)} chained from page {@code i - 1} (page 0 from {@code prior}), exactly what
 * {@link PageHasher#chain} returns. The L3 query asks 128 pages at a time and stops at the first
 * chunk with a miss (docs/behaviour.md#existence-query), so the pages after it are never hashed
 * (hashing the whole tail was a large cost: docs/design.md#page-keys-and-hashing). Unmodifiable;
 * read only on the thread that owns the hasher (the controller's: ports that run elsewhere copy the
 * list on the caller's thread).
 */
final class LazyPageKeys extends AbstractList<PageKey> implements RandomAccess {
  private final PageHasher hasher;
  private final PageKey prior;
  private final int[] tokens;
  private final int from;
  private final PageKey[] keys;
  private int hashed;

  LazyPageKeys(PageHasher hasher, PageKey prior, int[] tokens, int from, int to) {
    this(hasher, prior, tokens, from, to, null);
  }

  /**
   * @param given the sequence's page keys computed beforehand (page {@code p} of {@code tokens},
   *     chained from its start), or null; the span's pages it covers are taken from it, not hashed
   */
  LazyPageKeys(PageHasher hasher, PageKey prior, int[] tokens, int from, int to, PageKey[] given) {
    this.hasher = hasher;
    this.prior = prior;
    this.tokens = tokens;
    this.from = from;
    this.keys = new PageKey[(to - from) / hasher.pageSize()];
    int first = from / hasher.pageSize();
    if (given != null && first < given.length) {
      hashed = Math.min(keys.length, given.length - first);
      System.arraycopy(given, first, keys, 0, hashed);
    }
  }

  @Override public PageKey get(int index) {
    Objects.checkIndex(index, keys.length);
    int ps = hasher.pageSize();
    while (hashed <= index) {
      keys[hashed] = hasher.hashPage(hashed == 0 ? prior : keys[hashed - 1], tokens, from + hashed * ps);
      hashed++;
    }
    return keys[index];
  }

  /**
   * Pages {@code [from, to)}, hashed now if they are not yet, as a view that never changes (pages
   * once hashed keep their keys): what a read of pages the query found passes to the port.
   */
  KeySpan hashedSpan(int from, int to) {
    Objects.checkFromToIndex(from, to, keys.length);
    if (to > from) get(to - 1);
    return new KeySpan(keys, from, to);
  }

  @Override public int size() {
    return keys.length;
  }
}
