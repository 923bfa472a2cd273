package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.metrics.InMemoryMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import dev.hicache.core.sim.CostModel;

/**
 * Drives a {@link HiCache} on the deterministic shell with real bytes, as a serving engine would,
 * from a list of generated actions: requests arrive (with shared and diverging prefixes), run
 * (chunked or not), finish or abort, and pending copies complete in the order the script says.
 * After every step it checks the tree's and the controller's invariants, and whenever a request
 * reads its cached prefix it checks every byte of it against the page keys.
 */
final class EngineScript {
  static final int PAGE = 4;
  static final KvShape SHAPE = new KvShape(2, 1, 4, DType.FP16, false, PAGE);
  private static final int DOCS = 4;
  private static final int DOC_LEN = 48;

  final WritePolicyKind writePolicy;
  final String evictionPolicy;
  final MemLayout hostLayout;
  final int devicePages;
  final int hostPages;
  final boolean corrupt;
  /** L3 shared by the script's caches (null: no storage tier). */
  InMemoryL3StoreDouble l3;
  private final List<long[]> queued = new ArrayList<>(); // {rid} with its tokens in queuedTokens
  private final List<int[]> queuedTokens = new ArrayList<>();
  private final List<Namespace> queuedNamespaces = new ArrayList<>();
  private long nextRid;
  long storageHits;
  /** Loads into device pages divisible by this fail for good (0: never). */
  int failLoadsModulo;
  long abortedAfterFailedLoad;

  /**
   * Namespaces the requests are spread over (0: none; docs/behaviour.md#namespaces): namespace 0 is
   * the cache's default, the others are {@link #NAMESPACES}. Every request's KV bytes derive from
   * its page keys chained from its namespace's seed, so a page served across namespaces, in any
   * tier, is a wrong-bytes failure, and every tier is checked after every step.
   */
  int namespaces;
  /** The cache's default namespace seed ({@link HiCache.Builder#namespaceSeed}), or null. */
  PageKey defaultSeed;
  /** {@link HiCache.Builder#namespaceQuota} (0: none). */
  double namespaceQuota;
  /** Pages served and verified, by the tier they were found in. */
  long servedDevicePages, servedHostPages, servedStoragePages;
  /** Requests of a named namespace (not the default one) admitted. */
  long namespacedRequests;
  static final Namespace[] NAMESPACES = {null, Namespace.ofSglang("lora-1", null), Namespace.ofSglang(null, "salt-2"),
      Namespace.ofSglang("lora-3", "salt-3"), Namespace.ofSglang("", null), Namespace.ofSglang(null, "")};

  final InMemoryMetrics metrics = new InMemoryMetrics();
  /** Rebuilds the tiers from KV events and is checked after every step (null: no listener). */
  TierStateKvListener kvView;
  /** Hand {@link #kvView} the events in batches ({@code kvEventBatches}) instead of one at a time. */
  boolean kvBatches;
  /** Actions and checks a test adds to the script (cache-control hints; null: none). */
  Extension extension;
  /** Sets what else the cache is built with (null: nothing). */
  java.util.function.Consumer<HiCache.Builder> builderHook;
  /** write_back may drop pages for want of host room (counted): host pages can be pinned. */
  boolean writeBackMayLose;

  /** What a test adds to the script's actions and checks. */
  interface Extension {
    /** Runs action {@code a} if it is one of the extension's; false leaves it to the script. */
    boolean step(EngineScript s, int a);

    /** Checked after every step, with the cache's invariants. */
    void check(EngineScript s);

    /** A request found no room on the device for {@code tokens} tokens (its extend returned false). */
    void noRoom(EngineScript s, CacheRequest r, int tokens);
  }
  /** The pools the script runs on (a contract suite's). */
  EnginePools pools = EnginePools.hostMemory();
  KeyedDevicePool device;
  CorruptibleHostPool host;
  HiCache cache;
  private final int[][] docs = new int[DOCS][DOC_LEN];
  private final List<Live> live = new ArrayList<>();

  // What the script observed, to check the metrics against.
  long promptTokens;
  long deviceHits;
  long hostHits;
  long servedPages;
  long finished;

  private static final class Live {
    final CacheRequest r;
    final int[] tokens;
    int computed; // tokens whose KV is in the request's slots
    boolean checked;
    /** The prior of the request's page keys: its namespace's seed. */
    PageKey seed;

    Live(CacheRequest r, int[] tokens) {
      this.r = r;
      this.tokens = tokens;
    }
  }

  EngineScript(WritePolicyKind writePolicy, String evictionPolicy, MemLayout hostLayout, int devicePages,
               double hostRatio, boolean corrupt) {
    this.writePolicy = writePolicy;
    this.evictionPolicy = evictionPolicy;
    this.hostLayout = hostLayout;
    this.devicePages = devicePages;
    this.hostPages = (int) (devicePages * hostRatio) + 1;
    this.corrupt = corrupt;
    Random rnd = new Random(42);
    for (int[] d : docs) for (int i = 0; i < d.length; i++) d[i] = rnd.nextInt(1000);
  }

  @Override public String toString() {
    return writePolicy.flagName() + "/" + evictionPolicy + "/" + hostLayout.flagName() + " device " + devicePages
        + " pages, host " + hostPages + " pages"
        + (namespaces == 0 ? "" : ", " + namespaces + " namespaces" + (defaultSeed == null ? "" : " (default seeded)")
            + (namespaceQuota > 0 ? ", quota " + namespaceQuota : "") + (l3 != null ? ", L3" : ""));
  }

  void open() {
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).writePolicy(writePolicy)
        .radixEvictionPolicy(dev.hicache.api.config.EvictionPolicyKind.parse(evictionPolicy))
        .memLayout(hostLayout).loadBackThreshold(PAGE).prefetchThreshold(2 * PAGE)
        .prefetchPolicy(dev.hicache.api.config.PrefetchPolicyKind.WAIT_COMPLETE).build();
    device = pools.device(SHAPE, devicePages * PAGE, null);
    if (failLoadsModulo > 0) device.failLoadsTo(p -> p % failLoadsModulo == 0);
    host = pools.host(SHAPE, hostLayout, hostPages * PAGE);
    HiCache.Builder b = HiCache.builder(config).devicePool(device).hostPool(host).metrics(metrics)
        .deterministic(CostModel.link(1e9, 2e9, 1_000));
    if (l3 != null) b.storage(l3).l3Cost(dev.hicache.core.sim.L3CostModel.link(1e9, 1e9, 5_000));
    if (kvView != null && kvBatches) b.kvEventBatches(kvView);
    else if (kvView != null) b.kvEvents(kvView);
    if (defaultSeed != null) b.namespaceSeed(defaultSeed);
    if (namespaceQuota > 0) b.namespaceQuota(namespaceQuota);
    if (builderHook != null) builderHook.accept(b);
    cache = b.build();
  }

  /** Runs the actions, finishes what is live, drains, closes, and checks everything. */
  void run(List<Integer> actions) {
    open();
    try {
      for (int a : actions) {
        if (extension == null || !extension.step(this, a)) step(a);
        cache.checkInvariants();
        if (kvView != null) kvView.assertMatches(cache);
        if (namespaces > 0) checkTiersHoldTheirKeys();
        if (extension != null) extension.check(this);
      }
      // Queued requests are admitted (or leave the queue) first.
      while (!queued.isEmpty()) {
        if (queued.size() % 2 == 0) {
          cache.abortQueued(queued.getFirst()[0]);
          queued.removeFirst();
          queuedTokens.removeFirst();
          queuedNamespaces.removeFirst();
        } else {
          tryAdmitQueued(0, true);
        }
        cache.checkInvariants();
        if (extension != null) extension.check(this);
      }
      // The engine finishes every request still running.
      while (!live.isEmpty()) {
        Live l = live.getFirst();
        cache.deterministicShell().runUntil(() -> l.r.load().isDone());
        if (failedLoad(l)) continue;
        if (!progress(l, true)) {
          cache.abort(l.r);
          live.remove(l);
        }
        cache.checkInvariants();
        if (extension != null) extension.check(this);
      }
      cache.deterministicShell().drain();
      cache.checkInvariants();
      if (namespaces > 0) checkTiersHoldTheirKeys();
      if (extension != null) extension.check(this);
      checkMetrics();
      if (kvView != null) kvView.assertMatches(cache);
      if (l3 != null) checkHostPagesReachedL3();
    } finally {
      cache.close();
      if (l3Scratch != null) l3Scratch.close();
    }
    if (kvView != null) kvView.assertCleared();
    assertThat(device.outstandingBytes()).as("device bytes after close").isZero();
    assertThat(host.outstandingBytes()).as("host bytes after close").isZero();
  }

  private void step(int a) {
    int kind = Math.floorMod(a, 10);
    int arg = a >>> 4;
    DeterministicShell shell = cache.deterministicShell();
    switch (kind) {
      case 0, 1 -> admit(arg);
      case 2 -> {
        if (l3 == null) admit(arg);
        else if (!queued.isEmpty()) {
          shell.runNext(); // time passes: the next copy or L3 command completes
          // The scheduler walks its waiting queue in order, asking each prefetch whether it may end.
          for (int i = 0; i < queued.size(); ) {
            int before = queued.size();
            tryAdmitQueued(i, false);
            if (queued.size() == before) i++;
          }
        } else shell.runNext();
      }
      case 3, 4 -> {
        if (!live.isEmpty()) {
          Live l = live.get(arg % live.size());
          if (l.r.load().isDone()) {
            if (!failedLoad(l)) progress(l, (arg & 1) == 0); // false: no device pages now; it tries later
          }
        }
      }
      case 5 -> {
        if (!live.isEmpty() && arg % 4 == 0) {
          Live l = live.get(arg % live.size());
          if (l.r.load().isDone() && l.r.load().failure() == null) checkPrefix(l);
          cache.abort(l.r);
          live.remove(l);
        }
      }
      case 6, 7, 8 -> {
        if (shell.inFlight() > 0) shell.complete(arg % shell.inFlight());
      }
      default -> {
        if (corrupt) {
          int hp = arg % hostPages;
          if (cache.controller().hostPageAtRest(hp)) host.flipByte(hp, a);
        } else {
          cache.poll();
        }
      }
    }
  }

  private void admit(int arg) {
    int[] tokens = tokensFor(arg);
    Namespace ns = namespaces == 0 ? null : NAMESPACES[(arg >>> 20) % namespaces];
    if (l3 != null) {
      long rid = nextRid++;
      if (namespaces == 0) cache.enqueue(rid, tokens);
      else cache.enqueue(rid, tokens, ns);
      queued.add(new long[] {rid});
      queuedTokens.add(tokens);
      queuedNamespaces.add(ns);
      return;
    }
    admitNow(-1, tokens, ns);
  }

  /**
   * The prompt an admit action with {@code arg} makes (a document's prefix, forked into a variant):
   * what hints name, so that they meet cached prefixes.
   */
  int[] tokensFor(int arg) {
    int[] doc = docs[arg % DOCS];
    int len = 1 + (arg >>> 2) % DOC_LEN;
    int[] tokens = Arrays.copyOf(doc, len);
    int fork = (arg >>> 8) % (DOC_LEN + 1);
    int variant = (arg >>> 14) % 3;
    for (int i = fork; i < len; i++) tokens[i] = tokens[i] + 1000 * (variant + 1);
    return tokens;
  }

  /** Admits the i-th queued request if its prefetch lets it (or, when forced, after running time until it does). */
  private void tryAdmitQueued(int i, boolean force) {
    long rid = queued.get(i)[0];
    int guard = 0;
    while (!cache.readyToAdmit(rid)) {
      if (!force) return;
      if (!cache.deterministicShell().runNext()) cache.poll();
      if (++guard > 100_000) throw new AssertionError("request " + rid + " never became admissible in " + this);
    }
    int[] tokens = queuedTokens.get(i);
    Namespace ns = queuedNamespaces.get(i);
    queued.remove(i);
    queuedTokens.remove(i);
    queuedNamespaces.remove(i);
    admitNow(rid, tokens, ns);
  }

  /** Every prompt admitted so far, in order (what hints name). */
  final List<int[]> prompts = new ArrayList<>();
  /** The namespace of each of {@link #prompts} (null: the default one). */
  final List<Namespace> promptNamespaces = new ArrayList<>();

  private void admitNow(long rid, int[] tokens, Namespace ns) {
    prompts.add(tokens);
    promptNamespaces.add(ns);
    int len = tokens.length;
    CacheRequest r;
    if (namespaces == 0) r = rid < 0 ? cache.admit(tokens) : cache.admit(rid, tokens, 0);
    else r = rid < 0 ? cache.admit(tokens, 0, ns) : cache.admit(rid, tokens, 0, ns);
    if (ns != null && ns.seed() != null) namespacedRequests++;
    storageHits += r.storageHitTokens();
    promptTokens += len;
    deviceHits += r.deviceHitTokens();
    hostHits += r.hostHitTokens();
    assertThat(r.cachedTokens()).isLessThanOrEqualTo(len - 1).isEqualTo(r.devicePages().length * PAGE);
    Live l = new Live(r, tokens);
    l.seed = ns == null || ns.seed() == null ? defaultSeed : ns.seed();
    live.add(l);
  }

  /** What an engine does when a request's cached prefix could not be loaded: it drops the request (a retry would recompute). */
  private boolean failedLoad(Live l) {
    if (l.r.load().failure() == null) return false;
    cache.abort(l.r);
    live.remove(l);
    abortedAfterFailedLoad++;
    return true;
  }

  /** Checks every cached page of the request holds the KV of its key. */
  private void checkPrefix(Live l) {
    int cachedPages = l.r.cachedTokens() / PAGE;
    List<PageKey> keys = KeyedPages.keys(l.seed, l.tokens, cachedPages * PAGE, PAGE);
    int[] pages = l.r.devicePages();
    for (int i = 0; i < cachedPages; i++) {
      if (!device.pageHolds(pages[i], keys.get(i))) {
        throw new AssertionError("wrong KV served: page " + i + " of a " + l.tokens.length + "-token request (device page "
            + pages[i] + ", cached " + l.r.cachedTokens() + " = device " + l.r.deviceHitTokens() + " + host "
            + l.r.hostHitTokens() + ") in " + this);
      }
    }
    servedPages += cachedPages;
    servedDevicePages += l.r.deviceHitTokens() / PAGE;
    servedStoragePages += l.r.storageHitTokens() / PAGE;
    servedHostPages += (l.r.hostHitTokens() - l.r.storageHitTokens()) / PAGE;
  }

  /**
   * Runs the request: the first time, checks its cached prefix (it is loaded); then computes the rest
   * of the prompt and one output token, in one go or as a chunk first; finishes it. False when the
   * device has no room now.
   */
  private boolean progress(Live l, boolean chunked) {
    if (!l.checked) {
      checkPrefix(l);
      l.checked = true;
      l.computed = l.r.cachedTokens();
    }
    int[] tokens = Arrays.copyOf(l.tokens, l.tokens.length + 1);
    tokens[l.tokens.length] = 7; // the output token
    int target = tokens.length;
    if (chunked && l.computed < l.tokens.length - PAGE) target = Math.min(target - 1, l.computed + PAGE + (l.tokens.length - l.computed) / 2);
    if (!tryExtend(cache, l.r, target)) {
      if (extension != null) extension.noRoom(this, l.r, target);
      return false;
    }
    List<PageKey> keys = KeyedPages.keys(l.seed, tokens, target, PAGE);
    int[] pages = l.r.devicePages();
    // The forward pass: write the KV of every full page it computed (a partial page is never cached).
    for (int i = l.computed / PAGE; i < target / PAGE; i++) device.fillPage(pages[i], keys.get(i));
    l.computed = target;
    if (target < tokens.length) {
      cache.cacheUnfinished(l.r, tokens, target);
      return true;
    }
    // Before finishing, the prefix it read is still intact (locks held).
    int[] nowPages = l.r.devicePages();
    for (int i = 0; i < target / PAGE; i++) {
      if (!device.pageHolds(nowPages[i], keys.get(i))) throw new AssertionError("request's page " + i + " overwritten while locked in " + this);
    }
    cache.finish(l.r, tokens, target);
    live.remove(l);
    finished++;
    return true;
  }

  /** Host pages whose backup to L3 was not done (each counted by a metric). */
  long l3Unbacked;

  /**
   * Liveness: once everything has drained, every page the tree holds in L2 has reached L3, except
   * those a metric counts as not backed up (a broken hash chain, a skipped backup, a node split or
   * evicted before its backup could be made).
   */
  private void checkHostPagesReachedL3() {
    long missing = 0;
    java.util.ArrayDeque<dev.hicache.core.tree.TreeNode> todo = new java.util.ArrayDeque<>();
    todo.addAll(cache.controller().tree().roots());
    while (!todo.isEmpty()) {
      dev.hicache.core.tree.TreeNode n = todo.poll();
      todo.addAll(n.children());
      if (n.isRoot() || !n.backuped() || n.hashValue() == null) continue;
      for (PageKey k : n.hashValue()) if (!l3.holds(k)) missing++;
    }
    long counted = metrics.counter(dev.hicache.core.storage.StorageMetrics.BACKUP_REFUSED_CHAIN)
        + metrics.counter(dev.hicache.core.storage.StorageMetrics.BACKUP_SKIPPED_PAGES)
        + metrics.counter(CacheController.L3_BACKUP_UNREACHABLE_PAGES);
    l3Unbacked += missing;
    assertThat(missing).as("L2 pages that never reached L3 and no metric counts, in " + this).isLessThanOrEqualTo(counted);
  }

  /**
   * Every tier holds, under each page key, the KV bytes of that key, and each key is chained from
   * the seed of the namespace whose subtree files it (the tree's invariants re-hash every chain):
   * L1 and L2 pages at rest (not being loaded into, not poisoned, acknowledged) hold their node's
   * key's bytes, and every L3 page holds its own key's. Since a request's bytes derive from its
   * namespace's keys, a page written under one namespace and filed, or stored, under another fails here.
   */
  private void checkTiersHoldTheirKeys() {
    CacheController c = cache.controller();
    java.util.ArrayDeque<dev.hicache.core.tree.TreeNode> todo = new java.util.ArrayDeque<>(c.tree().roots());
    while (!todo.isEmpty()) {
      dev.hicache.core.tree.TreeNode n = todo.poll();
      todo.addAll(n.children());
      if (n.isRoot()) continue;
      PageKey[] keys = n.hashValue();
      int[] v = n.value();
      if (v != null) {
        for (int i = 0; i < v.length; i++) {
          if (c.devicePageAtRest(v[i]) && !device.pageHolds(v[i], keys[i])) {
            throw new AssertionError("L1 page " + v[i] + " (page " + i + " of node " + n.id() + ", namespace "
                + n.namespaceSeed() + ") does not hold the KV of its key in " + this);
          }
        }
      }
      int[] hv = n.hostValue();
      if (hv != null) {
        for (int i = 0; i < hv.length; i++) {
          if (c.hostPageAtRest(hv[i]) && !KeyedPages.holds(host.layout(), host.buffer(), hv[i], keys[i])) {
            throw new AssertionError("L2 page " + hv[i] + " (page " + i + " of node " + n.id() + ", namespace "
                + n.namespaceSeed() + ") does not hold the KV of its key in " + this);
          }
        }
      }
    }
    if (l3 != null) {
      if (l3Scratch == null) l3Scratch = new dev.hicache.core.pool.OffHeapHostPool(SHAPE, hostLayout, PAGE);
      for (PageKey k : l3.keys()) {
        byte[] bytes = l3.pageBytes(k);
        if (bytes == null) continue; // removed meanwhile
        l3Scratch.writePage(0, java.lang.foreign.MemorySegment.ofArray(bytes));
        if (!KeyedPages.holds(l3Scratch.layout(), l3Scratch.buffer(), 0, k)) {
          throw new AssertionError("L3 page " + k + " does not hold the KV of its key in " + this);
        }
      }
    }
  }

  /** One host page to read L3 pages into for {@link #checkTiersHoldTheirKeys}; closed with the cache. */
  private dev.hicache.core.pool.OffHeapHostPool l3Scratch;

  /**
   * {@link HiCache#extend} with a request larger than the whole device pool as "no room": these
   * scripts then abort it as they abort any request that finds no room, which is what the
   * exception tells an engine to do.
   */
  static boolean tryExtend(HiCache cache, CacheRequest r, int tokens) {
    try {
      return cache.extend(r, tokens);
    } catch (NeverFitsException e) {
      return false;
    }
  }

  private void checkMetrics() {
    assertThat(metrics.counter(CacheController.PROMPT_TOKENS)).isEqualTo(promptTokens);
    assertThat(metrics.counter(CacheController.CACHED_TOKENS, Tier.DEVICE.sglangName())).isEqualTo(deviceHits);
    assertThat(metrics.counter(CacheController.CACHED_TOKENS, Tier.HOST.sglangName())).isEqualTo(hostHits - storageHits);
    assertThat(metrics.counter(CacheController.CACHED_TOKENS, Tier.STORAGE.sglangName())).isEqualTo(storageHits);
    // Every loaded-back token was acknowledged (all loads drained).
    assertThat(metrics.counter(CacheController.LOAD_BACK_TOKENS) + metrics.counter(CacheController.LOAD_BACK_FAILED_TOKENS))
        .isEqualTo(hostHits);
    if (failLoadsModulo == 0) assertThat(metrics.counter(CacheController.LOAD_BACK_FAILED_TOKENS)).isZero();
    // Host accounting: every page backed up is still in the tree or was evicted from the host.
    long backuped = metrics.counter(CacheController.BACKUPED_TOKENS, Tier.HOST.sglangName());
    long hostEvicted = metrics.counter(CacheController.EVICTED_TOKENS, Tier.HOST.sglangName());
    assertThat(metrics.counter(CacheController.BACKUP_FAILED_TOKENS)).isZero();
    long prefetched = metrics.counter("prefetched_tokens"); // host-only pages a prefetch added
    assertThat(backuped + prefetched - hostEvicted).as("backuped + prefetched - host evicted").isEqualTo(cache.hostCachedTokens());
    assertThat(metrics.counter(CacheController.BACKUP_BYTES)).isEqualTo(backuped / PAGE * SHAPE.bytesPerPage());
    // With L3 attached, host pages can all be pinned (L3 writes in flight, prefetch buffers): a
    // write_back eviction may then find no host room and drop the page, as counted. Without L3 the
    // host (2x the device) always has room.
    if (writePolicy == WritePolicyKind.WRITE_BACK && l3 == null && !writeBackMayLose) {
      assertThat(metrics.counter(CacheController.WRITE_BACK_LOST_TOKENS)).as("pages lost under write_back").isZero();
    }
    if (!corrupt) assertThat(metrics.counter(CacheController.LOAD_BACK_VERIFY_FAILED)).isZero();
    assertThat(cache.inFlightBackups() + cache.inFlightLoads()).isZero();
    assertThat(cache.controller().liveRequests()).isZero();
    assertThat(cache.controller().ownedDevicePages()).isZero();
  }
}
