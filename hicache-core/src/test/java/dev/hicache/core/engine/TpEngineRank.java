package dev.hicache.core.engine;

import dev.hicache.api.MemLayout;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.RankGroup;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.sim.L3CostModel;
import dev.hicache.core.storage.StorageController;
import dev.hicache.core.tree.TreeNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;
import dev.hicache.core.sim.CostModel;

/**
 * One TP rank of an engine-level consensus scenario: a full {@link HiCache} with its own device and
 * host pools, its own L3 store and its own storage controller. Everything the scheduler does
 * (arrivals, the order it walks the waiting queue, when it gives up on a request) comes from the
 * scenario seed alone and is the same on every rank; the rank's L3 contents, L3 latencies, copy
 * latencies (and, on threads, real timing) come from the seed and the rank, so they differ. The
 * rank records every decision it sees in {@link #log}; the ranks' logs must be identical.
 */
final class TpEngineRank implements AutoCloseable {
  static final int PAGE = EngineScript.PAGE;
  static final int DOCS = 4;
  static final int DOC_LEN = 64;
  /** Virtual (or logical) time per scheduler iteration. */
  static final long STEP_NANOS = 10_000;
  static final int MAX_ITERATIONS = 20_000;

  final int rank;
  final HiCache cache;
  final KeyedDevicePoolDouble device;
  final CorruptibleHostPoolDouble host;
  final InMemoryL3StoreDouble l3;
  final InMemoryMetrics metrics = new InMemoryMetrics();
  final List<String> log = new ArrayList<>();
  private final SplittableRandom shared;
  private final SplittableRandom own;
  private final int[][] docs;
  private final int requests;
  private final int arrivalIterations;
  private final int batchLimit;
  private final double l3RemoveChance;
  private final ExecutorService copies;
  private final LogicalClock clock;
  private final List<Waiting> waiting = new ArrayList<>();
  private final List<Running> running = new ArrayList<>();
  private long nextRid;
  int iteration;
  long storageHitTokens;
  long hostHitTokens;
  long checkedPages;
  /** Per request, in arrival order: the leading run of its pages this rank's L3 held when it was queued. */
  final List<Integer> l3Runs = new ArrayList<>();

  private record Waiting(long rid, int[] tokens) {}

  private static final class Running {
    final long rid;
    final CacheRequest r;
    final int[] tokens;
    boolean checked;
    int refusals;

    Running(long rid, CacheRequest r, int[] tokens) { this.rid = rid; this.r = r; this.tokens = tokens; }
  }

  /** The production shell's clock in the threaded test: one tick per scheduler iteration, the same on every rank. */
  static final class LogicalClock implements Clock {
    volatile long now;

    @Override public long nanos() { return now; }
  }

  /**
   * @param warm L3 as a previous instance left it; this rank's store is a copy with a rank-local part missing
   * @param group this rank's member of the group (StepRankGroup or InProcessRankGroup)
   * @param threaded production shell on real I/O threads (with rank-local copy delays) instead of virtual time
   */
  TpEngineRank(long seed, int rank, WritePolicyKind writePolicy, PrefetchPolicyKind prefetch, int devicePages,
               InMemoryL3StoreDouble warm, List<PageKey> warmChains, RankGroup group, boolean threaded) {
    this.rank = rank;
    this.shared = new SplittableRandom(seed);
    this.own = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (rank + 1)));
    this.docs = docs(seed);
    this.requests = 4 + shared.nextInt(threaded ? 10 : 20);
    this.arrivalIterations = 1 + shared.nextInt(60);
    this.batchLimit = 1 + shared.nextInt(3);
    // Rank-local L3: a copy of the warm store where each document's chain stops at a rank-local page
    // (or is whole), and pages vanish now and then while the ranks run (another tenant's eviction).
    int chain = DOC_LEN / PAGE;
    java.util.Set<PageKey> drop = new java.util.HashSet<>();
    for (int d = 0; d < DOCS; d++) {
      if (own.nextBoolean()) continue;
      int keep = own.nextInt(chain + 1);
      for (int p = keep; p < chain; p++) drop.add(warmChains.get(d * chain + p));
    }
    this.l3 = warm.copy(k -> !drop.contains(k));
    this.l3RemoveChance = own.nextInt(3) == 0 ? 0 : 0.02 * own.nextDouble();
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).writePolicy(writePolicy).loadBackThreshold(PAGE)
        .prefetchThreshold(2 * PAGE).prefetchPolicy(prefetch).prefetchTimeoutBaseSeconds(STEP_NANOS * 5 / 1e9)
        .prefetchTimeoutPerKiTokenSeconds(STEP_NANOS * 20 / 1e9).build();
    int hostPages = 3 * devicePages + 8;
    this.host = new CorruptibleHostPoolDouble(EngineScript.SHAPE, MemLayout.PAGE_FIRST, hostPages * PAGE);
    HiCache.Builder b;
    if (threaded) {
      // Copies on a rank-local pool that sleeps a rank-local, random time before each copy runs.
      this.copies = Executors.newFixedThreadPool(1, r -> Thread.ofPlatform().daemon().name("tp" + rank + "-copy").unstarted(r));
      long maxDelay = 20_000 + own.nextLong(300_000);
      SplittableRandom delays = own.split();
      Executor slow = task -> copies.execute(() -> {
        long d;
        synchronized (delays) { d = delays.nextLong(maxDelay); }
        LockSupport.parkNanos(d);
        task.run();
      });
      this.device = new KeyedDevicePoolDouble(EngineScript.SHAPE, devicePages * PAGE, slow);
      this.clock = new LogicalClock();
      b = HiCache.builder(config).devicePool(device).hostPool(host).metrics(metrics).ioThreads(1).clock(clock)
          .storage(new DelayingL3Store(l3, own.nextLong(200_000), own.split()));
    } else {
      this.copies = null;
      this.clock = null;
      this.device = new KeyedDevicePoolDouble(EngineScript.SHAPE, devicePages * PAGE);
      long d2h = 1_000 + own.nextLong(40_000);
      long h2d = 1_000 + own.nextLong(20_000);
      long l3Latency = 2_000 + own.nextLong(60_000);
      b = HiCache.builder(config).devicePool(device).hostPool(host).metrics(metrics)
          .deterministic(new CostModel() {
            @Override public long deviceToHostNanos(long bytes) { return d2h; }
            @Override public long hostToDeviceNanos(long bytes) { return h2d; }
          })
          .storage(l3).l3Cost(L3CostModel.link(1e9, 1e9, l3Latency));
    }
    this.cache = b.rankGroup(group).build();
  }

  static int[][] docs(long seed) {
    SplittableRandom r = new SplittableRandom(seed * 31 + 7);
    int[][] d = new int[DOCS][DOC_LEN];
    for (int[] doc : d) for (int i = 0; i < doc.length; i++) doc[i] = r.nextInt(30_000);
    return d;
  }

  /**
   * A previous instance (one rank, write_through) served every document whole and backed it up to
   * L3; returns the store and fills {@code chains} with each document's page keys, in order.
   */
  static InMemoryL3StoreDouble warmStore(long seed, List<PageKey> chains) {
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).writePolicy(WritePolicyKind.WRITE_THROUGH).build();
    KeyedDevicePoolDouble device = new KeyedDevicePoolDouble(EngineScript.SHAPE, (DOC_LEN / PAGE + 1) * PAGE);
    try (HiCache warm = HiCache.builder(config).devicePool(device)
        .hostPool(new CorruptibleHostPoolDouble(EngineScript.SHAPE, MemLayout.PAGE_FIRST, 3 * DOC_LEN))
        .deterministic(CostModel.fixed(1_000)).storage(l3).l3Cost(L3CostModel.fixed(1_000)).build()) {
      for (int[] doc : docs(seed)) {
        int[] tokens = Arrays.copyOf(doc, DOC_LEN + 1);
        CacheRequest r = warm.admit(tokens);
        while (!warm.extend(r, DOC_LEN)) warm.deterministicShell().runNext();
        List<PageKey> keys = KeyedPages.keys(doc, DOC_LEN, PAGE);
        chains.addAll(keys);
        int[] pages = r.devicePages();
        for (int i = r.cachedTokens() / PAGE; i < DOC_LEN / PAGE; i++) device.fillPage(pages[i], keys.get(i));
        warm.finish(r, tokens, DOC_LEN);
        warm.deterministicShell().drain();
      }
      warm.deterministicShell().drain();
    }
    return l3;
  }

  // ---------------------------------------------------------------- one scheduler iteration

  /** Logical time for the threaded ranks (before the iteration's poll). */
  void setLogicalTime() {
    clock.now = (long) iteration * STEP_NANOS;
  }

  /**
   * The scheduler's work of one iteration after its poll: arrivals, the waiting queue walked in
   * order (SGLang's get_new_batch_prefill, breaking when the batch is full), the running requests'
   * forward passes. {@code loaded} says whether a request's load-back has landed (step-synchronous:
   * on every rank; threaded: this rank waits for it, as a forward pass does).
   */
  void schedule(LongPredicate loaded) {
    // Arrivals (SGLang's _prefetch_kvcache when a request joins the waiting queue).
    if (nextRid < requests && (iteration >= arrivalIterations || shared.nextInt(3) == 0)) {
      long rid = nextRid++;
      int[] doc = docs[shared.nextInt(DOCS)];
      int len = 2 * PAGE + 1 + shared.nextInt(DOC_LEN - 2 * PAGE);
      int[] tokens = Arrays.copyOf(doc, len);
      if (shared.nextInt(3) == 0) {
        int fork = shared.nextInt(len);
        int variant = 1 + shared.nextInt(2);
        for (int i = fork; i < len; i++) tokens[i] += 30_000 * variant;
      }
      cache.enqueue(rid, tokens);
      l3Runs.add(l3.batchExists(KeyedPages.keys(tokens, tokens.length - 1, PAGE))); // rank-local: not logged
      waiting.add(new Waiting(rid, tokens));
      log("enqueue " + rid + " len " + len);
    }
    // A request leaves the queue unadmitted now and then.
    if (!waiting.isEmpty() && shared.nextInt(40) == 0) {
      Waiting w = waiting.remove(shared.nextInt(waiting.size()));
      cache.abortQueued(w.rid);
      log("abortQueued " + w.rid);
    }
    int admitted = 0;
    for (int i = 0; i < waiting.size() && running.size() < 4; ) {
      Waiting w = waiting.get(i);
      boolean ready = cache.readyToAdmit(w.rid);
      log("ready " + w.rid + " " + ready);
      if (!ready) {
        i++;
        continue;
      }
      waiting.remove(i);
      CacheRequest r = cache.admit(w.rid, w.tokens, 0);
      storageHitTokens += r.storageHitTokens();
      hostHitTokens += r.hostHitTokens();
      log("admit " + w.rid + " device " + r.deviceHitTokens() + " host " + r.hostHitTokens() + " storage " + r.storageHitTokens());
      running.add(new Running(w.rid, r, w.tokens));
      if (++admitted == batchLimit) break; // batch full: the walk stops here on every rank
    }
    for (Running run : new ArrayList<>(running)) {
      if (!loaded.test(run.rid)) continue;
      if (run.r.load().failure() != null) throw new AssertionError("rank " + rank + ": load-back failed: " + run.r.load().failure());
      if (!run.checked) {
        checkPrefix(run);
        run.checked = true;
      }
      int[] tokens = Arrays.copyOf(run.tokens, run.tokens.length + 1);
      tokens[run.tokens.length] = 7; // the output token
      boolean ok = EngineScript.tryExtend(cache, run.r, tokens.length);
      log("extend " + run.rid + " " + ok);
      if (!ok) {
        if (++run.refusals > 3 && shared.nextInt(2) == 0) {
          cache.abort(run.r);
          running.remove(run);
          log("abort " + run.rid);
        }
        continue;
      }
      List<PageKey> keys = KeyedPages.keys(tokens, tokens.length, PAGE);
      int[] pages = run.r.devicePages();
      for (int i = run.r.cachedTokens() / PAGE; i < tokens.length / PAGE; i++) device.fillPage(pages[i], keys.get(i));
      cache.finish(run.r, tokens, tokens.length);
      running.remove(run);
      log("finish " + run.rid);
    }
    // Rank-local: L3 loses a page now and then.
    if (l3RemoveChance > 0 && own.nextDouble() < l3RemoveChance) {
      List<PageKey> keys = l3.keys();
      if (!keys.isEmpty()) l3.remove(keys.get(own.nextInt(keys.size())));
    }
  }

  /** After the iteration's consensus: invariants, and what every rank must agree on. */
  void afterIteration() {
    cache.checkInvariants();
    StorageController sc = cache.controller().storage();
    log("state device " + cache.deviceCachedTokens() + " host " + cache.hostCachedTokens() + " backups "
        + cache.inFlightBackups() + " loads " + cache.inFlightLoads() + " prefetches " + sc.livePrefetches()
        + " occupied " + sc.occupiedTokens() + " l3backups " + sc.pendingBackups());
    if (iteration % 8 == 0) log("tree " + treeDigest());
    iteration++;
  }

  /** Every request arrived and left, and nothing the ranks agree on is still moving (the same on every rank). */
  boolean done() {
    StorageController sc = cache.controller().storage();
    return nextRid == requests && waiting.isEmpty() && running.isEmpty() && cache.inFlightBackups() == 0
        && cache.inFlightLoads() == 0 && sc.livePrefetches() == 0 && sc.pendingBackups() == 0;
  }

  List<Long> runningRids() {
    List<Long> out = new ArrayList<>();
    for (Running r : running) out.add(r.rid);
    return out;
  }

  boolean runningLoaded(long rid) {
    for (Running r : running) if (r.rid == rid) return r.r.load().isDone();
    return true;
  }

  /** Threaded: this rank waits for the request's load-back like its forward pass would. */
  boolean awaitLoaded(long rid) {
    for (Running r : running) {
      if (r.rid == rid) {
        try {
          r.r.load().await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("rank " + rank + " interrupted waiting for a load-back");
        }
      }
    }
    return true;
  }

  private void checkPrefix(Running run) {
    int cached = run.r.cachedTokens() / PAGE;
    List<PageKey> keys = KeyedPages.keys(run.tokens, cached * PAGE, PAGE);
    int[] pages = run.r.devicePages();
    for (int i = 0; i < cached; i++) {
      if (!device.pageHolds(pages[i], keys.get(i))) {
        throw new AssertionError("rank " + rank + ": wrong KV served for request " + run.rid + " at page " + i);
      }
    }
    checkedPages += cached;
  }

  /** The tree's shape and residency, independent of page ids: what must be identical on every rank. */
  String treeDigest() {
    StringBuilder sb = new StringBuilder();
    digest(cache.controller().tree().root(), sb);
    return sb.toString();
  }

  private static void digest(TreeNode n, StringBuilder sb) {
    if (!n.isRoot()) {
      sb.append('[').append(n.tokens()).append(':').append(Arrays.hashCode(n.key())).append(n.evicted() ? 'e' : 'd')
          .append(n.backuped() ? 'h' : '-').append(n.lockRef()).append('/').append(n.hostRefCounter());
    }
    List<TreeNode> children = new ArrayList<>(n.children());
    children.sort(Comparator.comparingInt(c -> c.key()[0]));
    for (TreeNode c : children) digest(c, sb);
    if (!n.isRoot()) sb.append(']');
  }

  /** Counters that record agreed decisions (not rank-local L3 traffic): must be equal on every rank. */
  Map<String, Long> agreedCounters() {
    Map<String, Long> out = new TreeMap<>();
    metrics.counters().forEach((k, v) -> {
      boolean rankLocal = k.startsWith("hicache_l3_pages") || k.startsWith("hicache_l3_bytes") || k.startsWith("hicache_l3_failures")
          || k.startsWith("hicache_l3_checksum") || k.equals("backuped_tokens{storage}") || k.startsWith("hicache_backup_skipped_pages");
      if (!rankLocal) out.put(k, v);
    });
    return out;
  }

  private void log(String s) {
    log.add(iteration + " " + s);
  }

  @Override public void close() {
    try {
      cache.close();
    } finally {
      if (copies != null) {
        copies.shutdownNow();
        try {
          copies.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      l3.close();
    }
  }
}
