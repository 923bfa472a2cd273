package dev.hicache.simulator.replay;

import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.EvictionPolicy;
import dev.hicache.api.spi.WritePolicy;
import dev.hicache.core.tree.DeviceEvictionHandler;
import dev.hicache.core.tree.EvictionPolicies;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.InsertResult;
import dev.hicache.core.tree.MatchResult;
import dev.hicache.core.sim.MatchTouch;
import dev.hicache.core.tree.TreeNode;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.trace.TraceRecord;
import java.io.IOException;
import java.util.Arrays;

/**
 * {@code simulate --l1-only}: a Mooncake trace through the real {@link HiRadixTree}, device tier
 * only, in record order (issue 2, "Minimal simulate"). These semantics are frozen: they give the
 * reference values of docs/behaviour.md#traces-and-reference-values and must not change when the
 * simulator grows tiers.
 *
 * <ul>
 *   <li>The record index is the time (the tree's clock).
 *   <li>Page k of a record (P tokens) is identified by {@code (hash_ids[kP/512], (kP mod 512)/P)};
 *       its token ids are derived from that identity ({@link #pageSerial}), so equal identities give
 *       equal pages and different identities never do.
 *   <li>Match over the first {@code floor((input_length-1)/P)} pages; cached tokens = matched pages
 *       × P. The tree touches what it traverses.
 *   <li>Insert all {@code floor(input_length/P)} full pages. Before adding new pages, lock the
 *       matched path and evict whole least-recently-used leaves until the new pages fit; if they
 *       still do not, insert only the longest prefix that fits.
 * </ul>
 *
 * <p>By default the tree holds each page as its two identity tokens (see the {@code compact}
 * constructor argument): the same tree, the same decisions, a fraction of the key bytes.
 *
 * <p>Not thread-safe; one replay per instance.
 */
public final class L1OnlyReplay {
  /** {@code capacityTokens} value for an unbounded L1. */
  public static final long INFINITE = -1;

  private static final WritePolicy NO_BACKUP = new WritePolicy() {
    // L1 only: nothing is ever copied down, so nothing asks for a backup.
    @Override public String flagName() { return "write_back"; }
    @Override public int writeThroughThreshold() { return Integer.MAX_VALUE; }
    @Override public boolean writeBack() { return true; }
  };

  private final int pageSize;
  /** Tokens per page held in the tree: the page size, or 2 in the compact representation. */
  private final int treeTokensPerPage;
  private final int pagesPerBlock;
  private final int blockSize;
  private final long capacityTokens;
  private final long capacityPages;
  private final HiRadixTree tree;
  private final PageIdAllocator allocator;
  private final DeviceEvictionHandler handler;
  private long now;

  private int[] tokens = new int[0];

  private long requests;
  private long inputTokens;
  private long cachedTokens;
  private long pageRefs;
  private long insertedPages;
  private long evictedPages;
  private long truncatedInserts;

  public L1OnlyReplay(int pageSize, long capacityTokens) {
    this(pageSize, capacityTokens, EvictionPolicies.DEFAULT, MooncakeTraceReader.MOONCAKE_BLOCK_SIZE);
  }

  public L1OnlyReplay(int pageSize, long capacityTokens, EvictionPolicy policy, int blockSize) {
    this(pageSize, capacityTokens, policy, blockSize, true);
  }

  /**
   * @param capacityTokens L1 capacity in tokens (rounded down to whole pages), or {@link #INFINITE}
   * @param policy eviction order (the reference values are for lru)
   * @param blockSize tokens per trace block; the page size must divide it
   * @param compact hold each page in the tree as its two identity tokens instead of all P tokens.
   *     Only the first two tokens of a page carry its identity (the other P-2 are 0 in every page),
   *     so the tree's nodes, splits, locks and eviction order are the same either way, with P/2
   *     times less key data to compare and copy; tests check that both give the same numbers.
   */
  public L1OnlyReplay(int pageSize, long capacityTokens, EvictionPolicy policy, int blockSize, boolean compact) {
    if (pageSize < 1 || blockSize % pageSize != 0) {
      throw new IllegalArgumentException("page size " + pageSize + " must divide the trace block size " + blockSize);
    }
    if (capacityTokens < 0 && capacityTokens != INFINITE) {
      throw new IllegalArgumentException("capacity must be >= 0 tokens, got " + capacityTokens);
    }
    this.pageSize = pageSize;
    this.treeTokensPerPage = compact ? Math.min(2, pageSize) : pageSize;
    this.blockSize = blockSize;
    this.pagesPerBlock = blockSize / pageSize;
    this.capacityTokens = capacityTokens;
    this.capacityPages = capacityTokens == INFINITE ? INFINITE : capacityTokens / pageSize;
    if (capacityPages > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("capacity of " + capacityTokens + " tokens is more than "
          + Integer.MAX_VALUE + " pages; use inf");
    }
    Clock clock = () -> now;
    this.tree = new HiRadixTree(treeTokensPerPage, policy, clock, NO_BACKUP, null, null, MatchTouch.MATCHED_ONLY);
    this.allocator = new PageIdAllocator(capacityPages);
    this.handler = new DeviceEvictionHandler() {
      @Override public void freeDevicePages(int[] pages) {
        evictedPages += pages.length;
        allocator.free(pages, 0, pages.length);
      }

      @Override public boolean startWriteBack(TreeNode node) {
        return false; // no lower tier: an evicted node's KV is dropped
      }
    };
  }

  /** Replays every record of {@code reader}; returns the totals. */
  public L1ReplayResult replay(MooncakeTraceReader reader) throws IOException {
    long t0 = System.nanoTime();
    TraceRecord r = new TraceRecord();
    while (reader.next(r)) {
      step(r);
    }
    return result(System.nanoTime() - t0);
  }

  /** One request at the next time step. */
  public void step(TraceRecord r) {
    int length = r.inputLength();
    int n = length / pageSize;
    int m = (length - 1) / pageSize;
    fillTokens(r, n);
    requests++;
    inputTokens += length;
    pageRefs += n;

    MatchResult match = tree.matchPrefix(tokens, m * treeTokensPerPage);
    int matched = match.devicePrefixPages();
    cachedTokens += (long) matched * pageSize;
    if (n > matched) {
      insertAfterMatch(match, matched, n);
    }
    now++;
  }

  private void insertAfterMatch(MatchResult match, int matched, int n) {
    TreeNode last = match.lastDeviceNode();
    int end = n;
    if (capacityPages != INFINITE) {
      int present = presentAfter(last, matched, n);
      int fresh = n - matched - present;
      long over = tree.devicePages() + (long) fresh - capacityPages;
      if (over > 0) {
        // Never a node on this request's path: the matched node and its ancestors are locked.
        tree.incLockRef(last);
        tree.evictDevice((int) over, handler);
        tree.decLockRef(last);
        long room = capacityPages - tree.devicePages();
        if (room < fresh) {
          end = matched + present + (int) Math.max(0, room);
          truncatedInserts++;
        }
      }
    }
    if (end <= matched) return;
    int[] pages = new int[end];
    System.arraycopy(match.devicePages(), 0, pages, 0, matched);
    allocator.allocate(pages, matched, end - matched);
    InsertResult ins = tree.insert(tokens, end * treeTokensPerPage, pages, 0, false);
    int dup = ins.devicePrefixPages();
    if (dup > matched) {
      // The tree already held these pages (the last full page was not matched): free our copies.
      allocator.free(pages, matched, dup);
      insertedPages += end - dup;
    } else {
      insertedPages += end - matched;
    }
  }

  /** Pages of tokens[from..to) (in pages) already resident below {@code node}; touches nothing. */
  private int presentAfter(TreeNode node, int fromPage, int toPage) {
    int i = fromPage;
    walk:
    while (i < toPage) {
      for (TreeNode c : node.children()) {
        if (c.evicted()) continue;
        int[] key = c.key();
        if (!samePage(key, 0, i)) continue;
        int kp = c.pages();
        int j = 1;
        while (j < kp && i + j < toPage && samePage(key, j, i + j)) j++;
        i += j;
        if (j < kp) break walk;
        node = c;
        continue walk;
      }
      break;
    }
    return i - fromPage;
  }

  private boolean samePage(int[] key, int keyPage, int tokenPage) {
    int t = treeTokensPerPage;
    int a = keyPage * t;
    int b = tokenPage * t;
    return Arrays.equals(key, a, a + t, tokens, b, b + t);
  }

  /** Writes the token ids of the record's first n pages into {@link #tokens}. */
  private void fillTokens(TraceRecord r, int n) {
    int need = n * treeTokensPerPage;
    if (tokens.length < need) {
      tokens = new int[Math.max(need, tokens.length * 2)];
    }
    // Only the first two tokens of a page carry its identity; the rest stay 0 for every page.
    int[] t = tokens;
    int ps = treeTokensPerPage;
    for (int k = 0; k < n; k++) {
      long h = r.hashId(k / pagesPerBlock);
      long serial = pageSerial(h, k % pagesPerBlock);
      int at = k * ps;
      t[at] = (int) serial;
      if (ps > 1) {
        t[at + 1] = (int) (serial >>> 32);
      } else if ((serial >>> 32) != 0) {
        throw new IllegalArgumentException("line " + r.line() + ": hash id " + h
            + " is too large to give distinct one-token pages");
      }
    }
  }

  /** The identity of page s of block h as one number: distinct for distinct (h, s). */
  long pageSerial(long h, int s) {
    return h * pagesPerBlock + s;
  }

  /** The totals so far, with the given wall time. */
  public L1ReplayResult result(long wallNanos) {
    return new L1ReplayResult(requests, inputTokens, cachedTokens, pageRefs, insertedPages,
        evictedPages, truncatedInserts, capacityTokens, capacityPages, pageSize, tree.devicePages(), tree.nodeCount(), wallNanos);
  }

  /** The tree (tests check its invariants). */
  public HiRadixTree tree() {
    return tree;
  }

  public int blockSize() {
    return blockSize;
  }
}
