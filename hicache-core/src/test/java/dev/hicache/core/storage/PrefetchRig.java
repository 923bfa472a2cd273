package dev.hicache.core.storage;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.PrefetchPolicy;
import dev.hicache.api.spi.RankGroup;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.pool.OffHeapHostPool;
import dev.hicache.core.tree.EvictionPolicies;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.TreeNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.hicache.core.sim.L3CostModel;

/**
 * Test driver: one rank of an engine reduced to what prefetch touches — a radix tree, a host pool
 * with real bytes, the storage controller, a virtual-time L3 port over a test-double store — and a
 * scheduler loop: each iteration runs the consensus tick, then asks for every waiting request in
 * arrival order whether it may be admitted.
 */
final class PrefetchRig implements AutoCloseable {
  static final int PAGE_SIZE = 4;
  static final KvShape SHAPE = KvShape.mha(2, 1, 4, DType.FP16, PAGE_SIZE);

  /** Virtual time, moved by the test only. */
  static final class VClock implements Clock {
    long now;

    @Override public long nanos() { return now; }
  }

  final VClock clock = new VClock();
  final HiRadixTree tree;
  final OffHeapHostPool pool;
  final TreeHostPages host;
  final L3Store store;
  final L3PageIo io;
  final VirtualTimeL3Port port;
  final StorageController sc;
  final InMemoryMetrics metrics = new InMemoryMetrics();
  final PageKey seed;
  final PageHasher hasher = new PageHasher(PAGE_SIZE);
  /** Waiting requests in arrival order: rid → tokens. */
  final LinkedHashMap<Long, int[]> waiting = new LinkedHashMap<>();
  /** Admitted: rid → tick index at admission. */
  final Map<Long, Integer> admittedAt = new LinkedHashMap<>();
  /** rid → tokens the prefetch inserted (takeStorageHitTokens at admission). */
  final Map<Long, Integer> storageHit = new LinkedHashMap<>();
  int ticks;

  PrefetchRig(HiCacheConfig config, PrefetchPolicy policy, L3Store store, L3CostModel cost, RankGroup group,
              int hostPages, int deviceTokens, PageKey seed) {
    this.seed = seed;
    this.tree = new HiRadixTree(PAGE_SIZE, EvictionPolicies.byName("lru"), clock, WritePolicyKind.WRITE_THROUGH,
        new PageHasher(PAGE_SIZE), seed);
    this.pool = new OffHeapHostPool(SHAPE, MemLayout.LAYER_FIRST, hostPages * PAGE_SIZE);
    this.host = new TreeHostPages(tree, pool);
    this.store = store;
    this.io = new L3PageIo(store, pool, PAGE_SIZE, metrics);
    this.port = new VirtualTimeL3Port(io, cost, clock);
    StorageController.Builder b = StorageController.builder(tree, host, port).config(config).rankGroup(group)
        .clock(clock).metrics(metrics).namespaceSeed(seed).deviceTokens(deviceTokens).pageBytes(pool.pageBytes());
    if (policy != null) b.policy(policy);
    this.sc = b.build();
  }

  static HiCacheConfig config(String policy, int threshold) {
    return HiCacheConfig.builder().pageSize(PAGE_SIZE).prefetchThreshold(threshold)
        .prefetchPolicy(dev.hicache.api.config.PrefetchPolicyKind.parse(policy))
        .prefetchTimeoutBaseSeconds(0.005).prefetchTimeoutPerKiTokenSeconds(0.02).build();
  }

  // ---------------------------------------------------------------- page bytes

  /** The bytes a page of {@code key} holds: a pattern derived from the key, so a wrong page never matches. */
  static void fill(MemorySegment flat, PageKey key) {
    long x = key.toInt64() ^ 0x9E3779B97F4A7C15L;
    for (long i = 0; i < flat.byteSize(); i++) {
      x = x * 6364136223846793005L + 1442695040888963407L;
      flat.set(ValueLayout.JAVA_BYTE, i, (byte) (x >>> 56));
    }
  }

  /** Writes the first {@code pages} pages of {@code tokens}' chain (from the namespace seed) into {@code target}. */
  static void seedL3(L3Store target, PageKey seed, int[] tokens, int pages) {
    if (pages <= 0) return;
    PageHasher h = new PageHasher(PAGE_SIZE);
    List<PageKey> keys = h.chain(seed, tokens, 0, pages * PAGE_SIZE);
    try (OffHeapHostPool scratch = new OffHeapHostPool(SHAPE, MemLayout.LAYER_FIRST, L3Store.MAX_BATCH_PAGES * PAGE_SIZE);
         Arena arena = Arena.ofConfined()) {
      L3PageIo w = new L3PageIo(target, scratch, PAGE_SIZE, null);
      MemorySegment flat = arena.allocate(scratch.pageBytes());
      for (int at = 0; at < keys.size(); at += L3Store.MAX_BATCH_PAGES) {
        int n = Math.min(L3Store.MAX_BATCH_PAGES, keys.size() - at);
        int[] hp = new int[n];
        for (int i = 0; i < n; i++) {
          hp[i] = i;
          fill(flat, keys.get(at + i));
          scratch.writePage(i * PAGE_SIZE, flat);
        }
        int stored = w.write(keys.subList(at, at + n), hp);
        if (stored != n) throw new IllegalStateException("seeding L3 stored " + stored + " of " + n);
      }
    }
  }

  /** Puts {@code tokens[0, pages)} into the tree as a host-only prefix with correct bytes (a local L2 hit). */
  void seedHost(int[] tokens, int pages) {
    if (pages <= 0) return;
    List<PageKey> keys = hasher.chain(seed, tokens, 0, pages * PAGE_SIZE);
    int[] hp = host.allocForTree(pages);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment flat = arena.allocate(pool.pageBytes());
      for (int i = 0; i < pages; i++) {
        fill(flat, keys.get(i));
        pool.writePage(hp[i] * PAGE_SIZE, flat);
      }
    }
    tree.insertHostOnly(tree.root(), tokens, 0, pages * PAGE_SIZE, hp, keys.toArray(new PageKey[0]));
  }

  /**
   * The request computed its prompt: its full pages not yet in the tree join it as a host copy with
   * the right bytes (as an acknowledged D→H backup would leave them), and that node is handed to
   * {@link StorageController#backup} for L2→L3. Returns the node, or null if nothing was new.
   */
  TreeNode computeAndBackup(int[] tokens) {
    int pages = tokens.length / PAGE_SIZE;
    var m = tree.matchPrefix(tokens, pages * PAGE_SIZE);
    int have = m.devicePrefixPages() + m.hostHitPages();
    if (have >= pages) return null;
    TreeNode anchor = m.lastHostNode();
    if (!anchor.isRoot() && tree.prefixPages(anchor) != have) return null; // a device-only tail: not modelled here
    List<PageKey> keys = hasher.chain(anchor.isRoot() ? seed : anchor.lastHashValue(), tokens, have * PAGE_SIZE, pages * PAGE_SIZE);
    int[] hp = host.allocForTree(pages - have);
    if (hp == null) return null;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment flat = arena.allocate(pool.pageBytes());
      for (int i = 0; i < hp.length; i++) {
        fill(flat, keys.get(i));
        pool.writePage(hp[i] * PAGE_SIZE, flat);
      }
    }
    var res = tree.insertHostOnly(anchor, tokens, have * PAGE_SIZE, (pages - have) * PAGE_SIZE, hp, keys.toArray(new PageKey[0]));
    if (res.matchedPages() != 0) throw new IllegalStateException("unexpected duplicates");
    sc.backup(res.last());
    return res.last();
  }

  /**
   * The pages a request would be served: its matched prefix's host pages, each checked against its
   * key's bytes. Returns how many pages were wrong.
   */
  int wrongServedPages(int[] tokens) {
    var m = tree.matchPrefix(tokens, tokens.length - 1);
    int wrong = 0;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment got = arena.allocate(pool.pageBytes());
      MemorySegment want = arena.allocate(pool.pageBytes());
      for (TreeNode n = m.lastHostNode(); n != null && !n.isRoot(); n = n.parent()) {
        int[] hv = n.hostValue();
        PageKey[] keys = n.hashValue();
        for (int i = 0; i < hv.length; i++) {
          pool.readPage(hv[i] * PAGE_SIZE, got);
          fill(want, keys[i]);
          if (got.mismatch(want) != -1) wrong++;
        }
      }
    }
    return wrong;
  }

  /** Every host page in the tree holds exactly its key's bytes (no wrong data anywhere). */
  int verifyAllHostPages() {
    int checked = 0;
    ArrayDeque<TreeNode> stack = new ArrayDeque<>(tree.root().children());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment got = arena.allocate(pool.pageBytes());
      MemorySegment want = arena.allocate(pool.pageBytes());
      while (!stack.isEmpty()) {
        TreeNode n = stack.pop();
        stack.addAll(n.children());
        int[] hv = n.hostValue();
        if (hv == null) continue;
        PageKey[] keys = n.hashValue();
        for (int i = 0; i < hv.length; i++) {
          pool.readPage(hv[i] * PAGE_SIZE, got);
          fill(want, keys[i]);
          if (got.mismatch(want) != -1) {
            throw new AssertionError("host page " + hv[i] + " of node " + n.id() + " holds wrong bytes for key " + keys[i]);
          }
          checked++;
        }
      }
    }
    return checked;
  }

  /** A canonical description of the tree's host-resident content: page keys per root-to-node path (rank independent). */
  List<String> hostContent() {
    List<String> out = new ArrayList<>();
    ArrayDeque<TreeNode> stack = new ArrayDeque<>(tree.root().children());
    while (!stack.isEmpty()) {
      TreeNode n = stack.pop();
      stack.addAll(n.children());
      if (n.hostValue() == null) continue;
      for (PageKey k : n.hashValue()) out.add(k.toHex().substring(0, 16));
    }
    out.sort(null);
    return out;
  }

  // ---------------------------------------------------------------- scheduler loop

  void enqueue(long rid, int[] tokens) {
    waiting.put(rid, tokens);
    sc.prefetch(rid, tokens, tokens.length - 1);
  }

  /** Scheduler step after a tick: ask for every waiting request in order; admit those allowed. */
  List<Long> askAndAdmit() {
    return askAndAdmit(rid -> true);
  }

  /** As {@link #askAndAdmit()}, but the scheduler reaches only the requests {@code reached} accepts (a busy engine). */
  List<Long> askAndAdmit(java.util.function.LongPredicate reached) {
    List<Long> admitted = new ArrayList<>();
    for (var it = waiting.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!reached.test(e.getKey())) continue;
      if (sc.checkProgress(e.getKey())) {
        it.remove();
        admittedAt.put(e.getKey(), ticks);
        storageHit.put(e.getKey(), sc.takeStorageHitTokens(e.getKey()));
        admitted.add(e.getKey());
      }
    }
    return admitted;
  }

  void checkInvariants() {
    tree.checkInvariants();
    host.checkInvariants();
    sc.checkInvariants();
    if (host.prefetchOwnedPages() != sc.ownedHostPages()) {
      throw new AssertionError("host pages owned by prefetch: allocator " + host.prefetchOwnedPages() + ", controller " + sc.ownedHostPages());
    }
  }

  static int[] tokens(long seed, int n) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) t[i] = r.nextInt(50_000);
    return t;
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Override public void close() {
    sc.close();
    pool.close();
  }
}
