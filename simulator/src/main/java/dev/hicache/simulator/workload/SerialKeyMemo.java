package dev.hicache.simulator.workload;

import dev.hicache.api.PageKey;
import java.util.Arrays;

/**
 * Serial page keys ({@link SerialPageKeys}) with the keys of recent prompts remembered: a prompt
 * that starts as a recent one did (a conversation's next turn, which repeats its history) takes
 * that prompt's keys for the pages they share instead of hashing them again
 * (docs/design.md#page-keys-and-hashing).
 *
 * <p>Exact, never approximate: a page's serial key is a function of the seed, the serials of the
 * pages up to it and the page size alone, so a remembered prompt with the same seed whose serials
 * match ours up to page {@code p} has exactly our keys up to page {@code p}. Both are compared in
 * full (the serials element by element), never trusted from a hash id: user traces need not name
 * their blocks uniquely.
 *
 * <p>Remembered per prompt, not per page: the prompts' serials and key words go into a ring of
 * pages in the order they come (sequential writes), and a small index names, for the serial of a
 * prompt's first page and for that of the first page of its second trace block, the latest prompt
 * that had it there. A prompt looks up both (two table loads per prompt, not one per page, which
 * cost what hashing a page does), compares its serials with the two prompts' and takes the longer
 * match. The index's slots are overwritten by later prompts, and the ring's pages by later pages
 * (an index entry whose prompt is no longer whole in the ring is ignored); either loses a reuse,
 * never changes a key.
 *
 * <p>Primitive arrays only, made at the first prompt: they live as long as the replay, and keys kept
 * as objects would be promoted and then dropped (see {@link BlockKeyMemo}). Not thread-safe: one per
 * thread.
 */
public final class SerialKeyMemo {
  private final SerialPageKeys hasher;
  private final int probe;
  private final int ringLog2;
  private final int ringMask;
  private final int indexLog2;
  private final int indexMask;
  /** The ring: each page's serial, and its key's four words at 4 × the page's ring index. */
  private long[] serials;
  private long[] words;
  /** Pages written to the ring so far (its next position, counted from the start, never wrapped). */
  private long end;
  /** Per index entry: the prompt's first ring position; its pages, and 1 in the high half when it has a seed. */
  private long[] index;
  /** Per index entry, the seed's 4 words (made at the first prompt with a seed). */
  private long[] seeds;
  private long hits;
  private long hashed;

  /**
   * @param pageSize the engine's page size
   * @param probe the page index of a prompt's second lookup (a trace's pages per block: the first
   *     page after the block a trace's prompts often share), at least 1
   * @param ringLog2 the ring holds 2^ringLog2 pages
   * @param indexLog2 the index holds 2^indexLog2 entries
   */
  public SerialKeyMemo(int pageSize, int probe, int ringLog2, int indexLog2) {
    if (probe < 1) throw new IllegalArgumentException("probe page must be >= 1, got " + probe);
    if (ringLog2 < 1 || ringLog2 > 26) throw new IllegalArgumentException("memo ring of 2^" + ringLog2 + " pages outside 2^1..2^26");
    if (indexLog2 < 1 || indexLog2 > 24) throw new IllegalArgumentException("memo index of 2^" + indexLog2 + " entries outside 2^1..2^24");
    this.hasher = new SerialPageKeys(pageSize);
    this.probe = probe;
    this.ringLog2 = ringLog2;
    this.ringMask = (1 << ringLog2) - 1;
    this.indexLog2 = indexLog2;
    this.indexMask = (1 << indexLog2) - 1;
  }

  /**
   * A memo for a trace replay: the second lookup at the first page of the second 512-token block;
   * a ring of 2^20 pages (40 MiB), about six thousand prompts of the ten-hour trace, which keeps
   * nearly every reuse an unbounded memo finds (benchmarks.md, the ten-hour trace section).
   */
  public static SerialKeyMemo forTraceBlocks(int pageSize) {
    return new SerialKeyMemo(pageSize, Math.max(1, 512 / pageSize), 20, 16);
  }

  /** Pages whose key came from the memo. */
  public long hits() { return hits; }

  /** Pages hashed. */
  public long hashed() { return hashed; }

  /**
   * The keys of the first {@code pages} pages of {@code serials}, chained from {@code seed} (a
   * namespace's; null: the default namespace): the same keys as {@link SerialPageKeys#pageKeys}.
   */
  public PageKey[] pageKeys(PageKey seed, long[] serials, int pages) {
    if (pages < 0 || pages > serials.length) {
      throw new IllegalArgumentException(pages + " pages asked of " + serials.length + " serials");
    }
    PageKey[] keys = new PageKey[pages];
    if (pages == 0) return keys;
    if (index == null) {
      index = new long[2 << indexLog2];
      this.serials = new long[1 << ringLog2];
      this.words = new long[4 << ringLog2];
    }
    int a = slot(serials[0]);
    int b = pages > probe ? slot(serials[probe]) : -1;
    // The longer of the two remembered prompts' matches; the entries are read before either is used.
    long startA = index[2 * a], startB = b < 0 ? 0 : index[2 * b];
    int known = matched(a, startA, seed, serials, pages);
    long from = startA;
    if (b >= 0 && b != a) {
      int kb = matched(b, startB, seed, serials, pages);
      if (kb > known) {
        known = kb;
        from = startB;
      }
    }
    long[] w = words;
    int mask = ringMask;
    for (int p = 0; p < known; p++) {
      int at = (int) (from + p & mask) << 2;
      keys[p] = PageKey.ofWords(w[at], w[at + 1], w[at + 2], w[at + 3]);
    }
    hits += known;
    PageKey prior = known == 0 ? seed : keys[known - 1];
    for (int p = known; p < pages; p++) keys[p] = prior = hasher.key(prior, serials[p]);
    hashed += pages - known;
    remember(seed, serials, keys, pages, a, b);
    return keys;
  }

  /**
   * How many first pages of {@code serials} the prompt of index entry {@code e} (ring position
   * {@code start}) shares with the seed: 0 when the entry is empty, names another seed or a prompt
   * no longer whole in the ring.
   */
  private int matched(int e, long start, PageKey seed, long[] serials, int pages) {
    long[] x = index;
    long[] ring = this.serials;
    long lengthAndSeed = x[2 * e + 1];
    int length = (int) lengthAndSeed;
    if (length == 0 || end - start > ring.length) return 0;
    if (seed == null ? lengthAndSeed >>> 32 != 0
        : lengthAndSeed >>> 32 != 1 || !sameSeed(e, seed)) {
      return 0;
    }
    int n = Math.min(length, pages);
    int i = (int) (start & ringMask);
    int first = Math.min(n, ring.length - i); // the part before the ring wraps
    int m = Arrays.mismatch(ring, i, i + first, serials, 0, first);
    if (m >= 0) return m;
    if (first == n) return n;
    m = Arrays.mismatch(ring, 0, n - first, serials, first, n);
    return m >= 0 ? first + m : n;
  }

  /** Writes the prompt into the ring and points its index entries at it. */
  private void remember(PageKey seed, long[] serials, PageKey[] keys, int pages, int a, int b) {
    long[] ring = this.serials, w = words;
    if (pages > ring.length) return; // longer than the ring: never whole in it
    long start = end;
    int mask = ringMask;
    for (int p = 0; p < pages; p++) {
      int i = (int) (start + p & mask);
      ring[i] = serials[p];
      PageKey k = keys[p];
      int at = i << 2;
      w[at] = k.word(0); w[at + 1] = k.word(1); w[at + 2] = k.word(2); w[at + 3] = k.word(3);
    }
    end = start + pages;
    entry(a, start, pages, seed);
    if (b >= 0) entry(b, start, pages, seed);
  }

  private void entry(int e, long start, int pages, PageKey seed) {
    long[] x = index;
    x[2 * e] = start;
    x[2 * e + 1] = pages | (seed == null ? 0 : 1L << 32);
    if (seed != null) {
      if (seeds == null) seeds = new long[4 << indexLog2];
      for (int w = 0; w < 4; w++) seeds[4 * e + w] = seed.word(w);
    }
  }

  private boolean sameSeed(int e, PageKey seed) {
    long[] x = seeds;
    return x[4 * e] == seed.word(0) && x[4 * e + 1] == seed.word(1) && x[4 * e + 2] == seed.word(2) && x[4 * e + 3] == seed.word(3);
  }

  /** The index entry for a prompt whose page has this serial. */
  private int slot(long serial) {
    long h = serial * 0x9E37_79B9_7F4A_7C15L;
    h ^= h >>> 29;
    return (int) (h ^ (h >>> 32)) & indexMask;
  }
}
