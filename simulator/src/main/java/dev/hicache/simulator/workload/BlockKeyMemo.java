package dev.hicache.simulator.workload;

import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A prompt's page keys (SGLang's chain: {@code TieredSimulation.pageKeys}) with the keys of recently
 * seen groups of pages remembered, so a group that comes again after the same prior is not hashed
 * again (docs/design.md#page-keys-and-hashing). Trace prompts repeat whole 512-token blocks (a
 * conversation's history comes back with every turn), and a block's pages are sparse: each page's
 * content is its first two token ids, the rest zeros ({@link TraceTokens}).
 *
 * <p>Exact, never approximate: a remembered key is reused only when its page is the same page after
 * the same prior. An entry holds a group's prior key and, per page, the page's first two token ids
 * (a page is remembered only when all its other tokens are 0, so those two ids are its whole content)
 * and its key. A different prior, a different page or a dense page means hashing, as without the
 * memo. Collisions of the table's slot only overwrite an entry.
 *
 * <p>Primitive arrays only: the table lives as long as the replay, and keys kept as objects would be
 * promoted and then dropped, which costs the collector more than hashing saves (benchmarks.md,
 * "simulator: the full engine on a ten-hour trace"). Not thread-safe: one per thread.
 */
public final class BlockKeyMemo {
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  /** Longs per entry: header (pages known, prior present), 4 prior words, G page ids, 4G key words. */
  private final int stride;
  private final int group;
  private final int pageSize;
  private final int mask;
  private final int slotsLog2;
  /** Made at the first prompt whose first page is sparse. */
  private long[] table;
  private final PageHasher hasher;
  private final int[] zeros;
  private final byte[] scratch = new byte[PageKey.BYTES];
  /** The table offset of each group of the prompt in progress. */
  private int[] bases = new int[64];
  /** A sum of the loads {@link #touchSlots} made, kept so that the compiler keeps them. */
  @SuppressWarnings("unused") private long touched;
  private long hits;
  private long hashed;

  /**
   * @param pageSize the engine's page size
   * @param groupPages pages per remembered group (a trace block's: 512 / page size), at least 1
   * @param slotsLog2 the table holds 2^slotsLog2 groups
   */
  public BlockKeyMemo(int pageSize, int groupPages, int slotsLog2) {
    if (groupPages < 1) throw new IllegalArgumentException("pages per group must be >= 1, got " + groupPages);
    if (slotsLog2 < 1 || slotsLog2 > 24) throw new IllegalArgumentException("memo slots 2^" + slotsLog2 + " outside 2^1..2^24");
    this.hasher = new PageHasher(pageSize);
    this.pageSize = pageSize;
    this.group = groupPages;
    this.stride = 5 + 5 * groupPages;
    this.mask = (1 << slotsLog2) - 1;
    this.slotsLog2 = slotsLog2;
    this.zeros = new int[Math.max(0, pageSize - 2)];
  }

  /** A memo for a trace replay: groups of one 512-token trace block (at least one page each). */
  public static BlockKeyMemo forTraceBlocks(int pageSize) {
    return new BlockKeyMemo(pageSize, Math.max(1, 512 / pageSize), 17);
  }

  /** Pages whose key came from the memo. */
  public long hits() { return hits; }

  /** Pages hashed. */
  public long hashed() { return hashed; }

  /**
   * Every full page's key of {@code tokens}, chained from {@code seed} (null: none): the same keys
   * as {@code TieredSimulation.pageKeys(hasher, seed, tokens)}.
   */
  public PageKey[] pageKeys(PageKey seed, int[] tokens) {
    int ps = pageSize;
    PageKey[] keys = new PageKey[tokens.length / ps];
    PageKey prior = seed;
    if (keys.length == 0) return keys;
    if (!isSparse(tokens, 0)) {
      // Not a trace-shaped prompt (a dense first page): hashed as without the memo, and a workload
      // of such prompts never makes the table.
      for (int p = 0; p < keys.length; p++) keys[p] = prior = hash(prior, tokens, p);
      return keys;
    }
    touchSlots(tokens, keys.length);
    for (int g0 = 0, gi = 0; g0 < keys.length; g0 += group, gi++) {
      int n = Math.min(group, keys.length - g0);
      // Pages of this group whose content is their first two ids (the rest zeros): only they are remembered.
      int sparse = 0;
      while (sparse < n && isSparse(tokens, (g0 + sparse) * ps)) sparse++;
      if (sparse == 0) {
        for (int p = g0; p < g0 + n; p++) keys[p] = prior = hash(prior, tokens, p);
        continue;
      }
      long[] t = table;
      int base = bases[gi];
      int known = (int) t[base];
      int reused = 0;
      if (known > 0 && samePrior(t, base, prior)) {
        int ids = base + 5;
        while (reused < sparse && reused < known && t[ids + reused] == id(tokens, (g0 + reused) * ps)) {
          keys[g0 + reused] = prior = key(t, base + 5 + group + 4 * reused);
          reused++;
        }
        hits += reused;
      }
      for (int p = g0 + reused; p < g0 + n; p++) keys[p] = prior = hash(prior, tokens, p);
      if (reused < sparse) remember(base, seedOf(keys, g0, seed), tokens, g0, sparse, keys);
    }
    return keys;
  }

  /**
   * Loads the table lines of every group of the prompt before any is used: the loads do not depend
   * on each other, so the processor overlaps their cache misses instead of taking them one group
   * at a time (the table is far larger than the caches). Hence a group's slot depends on its first
   * page alone, not on its prior: the same pages after another prior take the same slot (and
   * replace the entry, which then no longer matches the first prior).
   */
  private void touchSlots(int[] tokens, int pages) {
    int groups = (pages + group - 1) / group;
    if (bases.length < groups) bases = new int[Math.max(groups, 2 * bases.length)];
    long[] t = table;
    if (t == null) t = table = new long[stride << slotsLog2];
    long sum = 0;
    for (int g = 0; g < groups; g++) {
      int base = slot(id(tokens, g * group * pageSize)) * stride;
      bases[g] = base;
      sum += t[base] + t[base + stride - 1];
    }
    touched = sum;
  }

  private PageKey hash(PageKey prior, int[] tokens, int page) {
    hashed++;
    return hasher.hashPage(prior, tokens, page * pageSize);
  }

  private static PageKey seedOf(PageKey[] keys, int g0, PageKey seed) {
    return g0 == 0 ? seed : keys[g0 - 1];
  }

  private void remember(int base, PageKey prior, int[] tokens, int g0, int pages, PageKey[] keys) {
    long[] t = table;
    t[base] = pages;
    if (prior == null) {
      t[base + 1] = 0; t[base + 2] = 0; t[base + 3] = 0; t[base + 4] = 0;
      t[base] |= 1L << 32; // no prior: distinct from a prior of four zero words
    } else {
      for (int w = 0; w < 4; w++) t[base + 1 + w] = prior.word(w);
    }
    for (int j = 0; j < pages; j++) {
      t[base + 5 + j] = id(tokens, (g0 + j) * pageSize);
      PageKey k = keys[g0 + j];
      int at = base + 5 + group + 4 * j;
      for (int w = 0; w < 4; w++) t[at + w] = k.word(w);
    }
  }

  private static boolean samePrior(long[] t, int base, PageKey prior) {
    boolean none = (t[base] >>> 32) != 0;
    if (prior == null) return none;
    return !none && t[base + 1] == prior.word(0) && t[base + 2] == prior.word(1)
        && t[base + 3] == prior.word(2) && t[base + 4] == prior.word(3);
  }

  private PageKey key(long[] t, int at) {
    byte[] b = scratch;
    for (int w = 0; w < 4; w++) LONG_BE.set(b, 8 * w, t[at + w]);
    return PageKey.ofDigest(b);
  }

  /** True when the page at {@code from} is its first two token ids followed by zeros. */
  private boolean isSparse(int[] tokens, int from) {
    return pageSize <= 2 || Arrays.mismatch(tokens, from + 2, from + pageSize, zeros, 0, pageSize - 2) < 0;
  }

  /** The page's first two token ids (its whole content when sparse; the second is 0 for one-token pages). */
  private long id(int[] tokens, int from) {
    long lo = tokens[from] & 0xFFFF_FFFFL;
    return pageSize == 1 ? lo : lo | (long) tokens[from + 1] << 32;
  }

  private int slot(long firstId) {
    long h = firstId * 0x9E37_79B9_7F4A_7C15L;
    h ^= h >>> 29;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
