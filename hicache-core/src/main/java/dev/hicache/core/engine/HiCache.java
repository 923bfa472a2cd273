package dev.hicache.core.engine;

import dev.hicache.api.KvShape;
import dev.hicache.api.Namespace;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.Tokens;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.events.KvEventBatch;
import dev.hicache.api.events.KvEventBatchListener;
import dev.hicache.api.events.KvEventListener;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.DevicePool;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.api.spi.PrefetchPolicy;
import dev.hicache.api.spi.RankGroup;
import dev.hicache.api.spi.WritePolicy;
import dev.hicache.core.events.EngineEvents;
import dev.hicache.core.events.JfrEngineEvents;
import dev.hicache.core.events.KvEventPublisher;
import dev.hicache.core.events.KvEventTreeObserver;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.L3CostModel;
import dev.hicache.core.sim.MatchTouch;
import dev.hicache.core.storage.L3PageIo;
import dev.hicache.core.storage.L3Port;
import dev.hicache.core.storage.StorageController;
import dev.hicache.core.storage.ThreadedL3Port;
import dev.hicache.core.storage.VirtualTimeL3Port;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.TreeNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * HiCache for a JVM serving engine: SGLang's hierarchical KV cache over a device pool (L1) and a
 * host pool (L2), driven from the engine's scheduler thread.
 *
 * <p>A request's life, as SGLang's scheduler lives it:
 *
 * <ol>
 *   <li>With an L3 store ({@link Builder#storage}): {@link #enqueue} when the request joins the
 *       waiting queue (its L3 prefetch starts), {@link #readyToAdmit} each time the scheduler
 *       considers it, then {@link #admit(long, int[], int)}.
 *   <li>{@link #admit}: match the prompt; the device prefix is reused in place, the host-resident
 *       continuation is loaded back (layer by layer: wait on {@link CacheRequest#load()} before
 *       reading a layer), and the request's node is locked.
 *   <li>{@link #extend}: device pages for the tokens to compute, evicting per policy.
 *   <li>{@link #cacheUnfinished} after each chunk of a chunked prefill; {@link #finish} (or {@link
 *       #abort}) at the end: the computed pages join the tree, duplicates are freed, the lock is
 *       released, and the write policy copies pages down to the host.
 *   <li>{@link #poll} once per scheduler iteration: copy completions are applied.
 * </ol>
 *
 * <p>A request may carry a {@link Namespace} (SGLang's {@code extra_key} and {@code cache_salt}:
 * a LoRA adapter, a tenant): requests of different namespaces never share a page in any tier
 * (docs/behaviour.md#namespaces). Pass the same namespace to {@link #enqueue(long, int[], Namespace)}
 * and {@link #admit(long, int[], int, Namespace)}; a request without one is in the cache's default
 * namespace ({@link Builder#namespaceSeed}).
 *
 * <p>Every method must be called from one thread (the scheduler thread); the first caller owns the
 * cache. Closing drains the copies in flight and closes both pools: the cache owns them.
 */
public final class HiCache implements AutoCloseable {
  private final CacheController controller;
  private final ProductionShell production;
  private final DeterministicShell deterministic;
  private final DevicePool devicePool;
  private final HostPool hostPool;
  private final int pageSize;
  private Thread owner;
  private boolean closed;
  /** KV events for routers (docs/observability.md#kv-events); null without a listener. */
  private KvEventPublisher kvEvents;
  /** Cache-control hints (docs/engine-integration.md#cache-control). */
  private CacheControl control;

  /** Whether {@link #poll} runs a consensus round: with L3 (the storage tick), or with TP > 1. */
  private final boolean consensus;
  private final RankGroup rankGroup;
  /** The engine's own votes (TP > 1: the copy acks); inside the storage tick when there is L3. */
  private final dev.hicache.core.tp.ConsensusParticipant engineVotes;

  private HiCache(CacheController controller, ProductionShell production, DeterministicShell deterministic,
                  DevicePool devicePool, HostPool hostPool, int pageSize, RankGroup rankGroup) {
    this.rankGroup = rankGroup;
    this.consensus = controller.storage() != null || rankGroup.size() > 1;
    this.engineVotes = controller.ackConsensus();
    this.controller = controller;
    this.production = production;
    this.deterministic = deterministic;
    this.devicePool = devicePool;
    this.hostPool = hostPool;
    this.pageSize = pageSize;
  }

  public static Builder builder(HiCacheConfig config) {
    return new Builder(config);
  }

  /**
   * SGLang's {@code _prefetch_kvcache}: request {@code rid} joined the waiting queue; with an L3
   * store, start prefetching the continuous L3 hit beyond the local match
   * (docs/behaviour.md#prefetch). Without one, nothing happens. Call on every rank in the same
   * order.
   */
  public void enqueue(long rid, int[] tokens) {
    enqueue(rid, tokens, (PageKey[]) null);
  }

  /**
   * {@link #enqueue(long, int[])} with the prompt's page keys computed beforehand (for instance on
   * another thread, as the simulator's workload reader does): {@code pageKeys[p]} must be the key of
   * page {@code p} of {@code tokens}, chained from the start of the sequence as {@link
   * PageHasher#chain(PageKey, int[], int, int)} gives it from this cache's namespace seed ({@link
   * Builder#namespaceSeed}; null by default). The L3 query and, with {@link #admit(long, int[], int,
   * PageKey[])}, the tree take them instead of hashing the pages again; pages past the array are
   * hashed here. Keys are trusted: wrong ones name wrong L3 objects ({@link #checkInvariants()}
   * re-hashes every chain of the tree). Null = hash here.
   */
  public void enqueue(long rid, int[] tokens, PageKey[] pageKeys) {
    enqueue(rid, tokens, pageKeys, null);
  }

  /**
   * {@link #enqueue(long, int[])} for a request of {@code namespace} (null, or one with neither
   * part: the default namespace): its prefetch looks only for L3 pages keyed from that namespace's
   * seed, and what arrives joins only that namespace's subtree (docs/behaviour.md#namespaces).
   */
  public void enqueue(long rid, int[] tokens, Namespace namespace) {
    enqueue(rid, tokens, null, namespace);
  }

  /**
   * {@link #enqueue(long, int[], PageKey[])} for a request of {@code namespace}: {@code pageKeys}
   * must then be chained from that namespace's seed ({@link Namespace#seed()}).
   */
  public void enqueue(long rid, int[] tokens, PageKey[] pageKeys, Namespace namespace) {
    check();
    if (tokens == null) throw new IllegalArgumentException("enqueue: tokens must not be null");
    if (rid <= CacheControl.HINT_RID_LIMIT) {
      throw new IllegalArgumentException("enqueue: request id " + rid + " is reserved for prefetch hints (ids at or below "
          + CacheControl.HINT_RID_LIMIT + ")");
    }
    StorageController sc = controller.storage();
    if (sc != null && tokens.length > 0) {
      // The whole prompt, page-aligned, as SGLang's prefetch_from_storage takes it: unlike the
      // match at admission, the prefetch is not limited to length - 1 (docs/behaviour.md#prefetch).
      sc.prefetch(rid, tokens, Tokens.pageAligned(tokens.length, pageSize), pageKeys, seedOf(namespace));
    }
  }

  /** A request's namespace as the core keys it: its seed, or null for the default namespace. */
  private static PageKey seedOf(Namespace namespace) {
    return namespace == null ? null : namespace.seed();
  }

  /**
   * SGLang's {@code check_prefetch_progress}: may the queued request be admitted now? False means
   * skip it this round (its prefetch goes on; the policy and the ranks decide at the next {@link
   * #poll}). Always true without an L3 store or a prefetch.
   */
  public boolean readyToAdmit(long rid) {
    check();
    StorageController sc = controller.storage();
    return sc == null || sc.checkProgress(rid);
  }

  /** Ends the prefetch of a request that leaves the waiting queue without being admitted. */
  public void abortQueued(long rid) {
    check();
    StorageController sc = controller.storage();
    if (sc != null) sc.abort(rid);
  }

  /**
   * {@link #admit(int[], int)} for a request that was {@link #enqueue}d: what its prefetch brought
   * in is loaded back like any host hit and counted as {@code cached_tokens{storage}}.
   */
  public CacheRequest admit(long rid, int[] tokens, int priority) {
    return admit(rid, tokens, priority, (PageKey[]) null);
  }

  /**
   * {@link #admit(long, int[], int)} with the prompt's page keys computed beforehand (as for {@link
   * #enqueue(long, int[], PageKey[])}; at most one per full page of the prompt): the pages the
   * request adds to the tree take them instead of being hashed. Null = hash here.
   */
  public CacheRequest admit(long rid, int[] tokens, int priority, PageKey[] pageKeys) {
    check();
    return controller.admit(rid, tokens, priority, pageKeys);
  }

  /**
   * {@link #admit(long, int[], int)} for a request of {@code namespace} (the one it was {@link
   * #enqueue(long, int[], Namespace) enqueued} with): it matches only pages of that namespace, and
   * its pages join only that namespace's subtree (docs/behaviour.md#namespaces).
   */
  public CacheRequest admit(long rid, int[] tokens, int priority, Namespace namespace) {
    return admit(rid, tokens, priority, null, namespace);
  }

  /** {@link #admit(long, int[], int, PageKey[])} for a request of {@code namespace} (keys chained from its seed). */
  public CacheRequest admit(long rid, int[] tokens, int priority, PageKey[] pageKeys, Namespace namespace) {
    check();
    return controller.admit(rid, tokens, priority, pageKeys, seedOf(namespace));
  }

  /** {@link #admit(int[], int)} (no L3 prefetch) for a request of {@code namespace}. */
  public CacheRequest admit(int[] tokens, int priority, Namespace namespace) {
    check();
    return controller.admit(-1, tokens, priority, null, seedOf(namespace));
  }

  /** Matches, loads back the host part, locks. See the class comment. */
  public CacheRequest admit(int[] tokens) {
    return admit(tokens, 0);
  }

  /** {@link #admit(int[])} with a priority for the {@code priority} eviction policy. */
  public CacheRequest admit(int[] tokens, int priority) {
    check();
    return controller.admit(tokens, priority);
  }

  /**
   * Makes sure the request has device slots for token positions [0, tokens). False when the device
   * cannot hold them now (all else locked, or write_back copies pending): {@link #poll} and retry.
   *
   * @throws NeverFitsException when the device pool could not hold them even empty (a {@code
   *     while (!extend(...)) poll()} loop would spin for ever): abort the request
   * @throws IllegalArgumentException when {@code tokens} is negative
   */
  public boolean extend(CacheRequest r, int tokens) {
    check();
    return controller.extend(r, tokens);
  }

  /**
   * After a chunk of a chunked prefill: the KV of {@code tokens[0, kvTokens)} is computed; its full
   * pages join the tree and the request keeps its lock on them.
   */
  public void cacheUnfinished(CacheRequest r, int[] tokens, int kvTokens) {
    check();
    checkKv("cacheUnfinished", tokens, kvTokens);
    controller.cacheUnfinished(r, tokens, kvTokens);
  }

  /**
   * The request is finished; the KV of {@code tokens[0, kvTokens)} (prompt and output; {@code
   * tokens} starts with the prompt) is in its slots. Its full pages join the tree; the rest is freed.
   */
  public void finish(CacheRequest r, int[] tokens, int kvTokens) {
    check();
    checkKv("finish", tokens, kvTokens);
    controller.finish(r, tokens, kvTokens);
  }

  /** Ends a request without caching anything it computed. */
  public void abort(CacheRequest r) {
    check();
    controller.abort(r);
  }

  /**
   * Applies the copy completions that have arrived (SGLang's {@code writing_check} and {@code
   * loading_check}); returns how many arrived. In the deterministic shell, completes what is due now.
   * Call it once per scheduler iteration: with L3 or TP > 1 it runs the iteration's one consensus
   * round (an all-reduce over the {@linkplain Builder#rankGroup ranks}, whatever the local state), and
   * with TP > 1 the copy acks are popped only in the counts every rank has finished (the TP-MIN).
   */
  public int poll() {
    check();
    int n = deliver();
    // Every iteration, on every rank, whatever happened: exactly one consensus round
    // (docs/behaviour.md#tp-consensus).
    if (consensus) {
      long[] v = gatherVotes();
      rankGroup.allReduceMin(v);
      applyVotes(v);
    }
    control.poll();
    return n;
  }

  /**
   * The first half of {@link #poll} for step-synchronous TP ranks driven from one thread ({@link
   * dev.hicache.core.tp.StepRankGroup}): delivers the completions that have arrived and returns this
   * rank's vector for the iteration's one all-reduce (MIN; its shape never depends on local state).
   * Reduce the ranks' vectors element-wise and hand the result to every rank's {@link
   * #pollApply}. Empty for a single rank without L3 (there is nothing to agree on).
   */
  public long[] pollGather() {
    check();
    deliver();
    return consensus ? gatherVotes() : new long[0];
  }

  /** The second half of {@link #poll}: applies the reduced vector of this iteration, identically on every rank. */
  public void pollApply(long[] reduced) {
    check();
    if (consensus) applyVotes(reduced);
    else if (reduced.length != 0) throw new IllegalArgumentException("this cache has no consensus round, got " + reduced.length + " longs");
    control.poll();
  }

  /** Hands the copy completions (and, through the shell, the L3 completions) that have arrived to the controller. */
  private int deliver() {
    if (production != null) return production.drain(controller);
    long before = deterministic.completed();
    deterministic.advanceTo(deterministic.now());
    return (int) (deterministic.completed() - before);
  }

  // The storage controller's tick (gather, all-reduce, apply) carries the engine's ack votes as a
  // participant; without L3, the engine's votes are the whole vector.
  private long[] gatherVotes() {
    StorageController sc = controller.storage();
    if (sc != null) return sc.gather();
    long[] v = new long[engineVotes.width()];
    engineVotes.gather(v, 0);
    return v;
  }

  private void applyVotes(long[] v) {
    StorageController sc = controller.storage();
    if (sc != null) {
      sc.apply(v);
      return;
    }
    if (v.length != engineVotes.width()) throw new IllegalArgumentException("consensus vector of " + v.length + " longs, expected " + engineVotes.width());
    engineVotes.apply(v, 0);
  }

  /** The deterministic shell that drives this cache in virtual time; throws for a production cache. */
  public DeterministicShell deterministicShell() {
    if (deterministic == null) throw new IllegalStateException("this cache runs on the production shell");
    return deterministic;
  }

  public int pageSize() { return pageSize; }

  /** Backups (D→H) issued and not yet acknowledged. */
  public int inFlightBackups() { return controller.inFlightBackups(); }

  /** Load-backs (H→D) issued and not yet acknowledged. */
  public int inFlightLoads() { return controller.inFlightLoads(); }

  /** Tokens resident on the device in the tree. */
  public long deviceCachedTokens() { return (long) controller.tree().devicePages() * pageSize; }

  /** Tokens resident on the host in the tree. */
  public long hostCachedTokens() { return (long) controller.tree().hostPages() * pageSize; }

  /**
   * Throws IllegalStateException describing the first broken invariant of the radix tree or of the
   * controller. O(size): for tests.
   */
  public void checkInvariants() {
    check();
    controller.checkInvariants();
    control.checkInvariants();
  }

  CacheController controller() { return controller; }

  /**
   * The page keys {@code tier} (device or host) holds now, in no particular order: what a router
   * rebuilds from the KV events (docs/observability.md#kv-events). Needs page keys (always there
   * with real pools, with L3 or with a KV event listener); O(size).
   */
  public List<PageKey> pageKeys(Tier tier) {
    check();
    if (tier == Tier.STORAGE) throw new IllegalArgumentException("L3 is shared: ask the store what it holds");
    List<PageKey> out = new ArrayList<>();
    ArrayDeque<TreeNode> todo = new ArrayDeque<>();
    for (TreeNode r : controller.tree().roots()) todo.addAll(r.children());
    while (!todo.isEmpty()) {
      TreeNode n = todo.poll();
      todo.addAll(n.children());
      if (tier == Tier.DEVICE ? n.value() == null : n.hostValue() == null) continue;
      if (n.hashValue() == null) throw new IllegalStateException("this cache keeps no page keys (metadata-only without L3 or KV events)");
      out.addAll(Arrays.asList(n.hashValue()));
    }
    return out;
  }

  /**
   * Tokens {@code namespace} (null: the default one) holds in {@code tier} (device or host) now:
   * what a per-namespace quota is measured against (docs/behaviour.md#namespaces).
   */
  public long namespaceTokens(Namespace namespace, Tier tier) {
    check();
    return (long) controller.tree().namespacePages(seedOf(namespace), tier) * pageSize;
  }

  /** Namespaces that hold pages in L1 or L2 now, the default one always counted. */
  public int namespaces() {
    check();
    return controller.tree().namespaceCount();
  }

  /**
   * Waits until the KV event listener has been handed every event published so far (true), or
   * the timeout passes (false). True at once without a listener. Blocks: not for the scheduler loop.
   */
  public boolean awaitKvEvents(long timeout, TimeUnit unit) {
    return kvEvents == null || kvEvents.awaitDelivered(timeout, unit);
  }

  /** KV events dropped because the listener's queue was full (also counted as {@code hicache_kv_events_dropped}). */
  public long kvEventsDropped() {
    return kvEvents == null ? 0 : kvEvents.dropped();
  }

  private void check() {
    if (closed) throw new IllegalStateException("HiCache is closed");
    Thread t = Thread.currentThread();
    if (owner == null) owner = t;
    else if (owner != t) {
      throw new IllegalStateException("HiCache is used from " + t.getName() + " but is owned by the scheduler thread "
          + owner.getName() + "; only one thread may call it");
    }
  }

  private static void checkKv(String method, int[] tokens, int kvTokens) {
    if (tokens == null) throw new IllegalArgumentException(method + ": tokens must not be null");
    if (kvTokens < 0 || kvTokens > tokens.length) {
      throw new IllegalArgumentException(method + ": kvTokens must be in [0, " + tokens.length + "] (the tokens given),"
          + " got " + kvTokens);
    }
  }

  // ------------------------------------------------ cache control (docs/engine-integration.md#cache-control)

  /**
   * Pins the cached pages of a prefix ({@code tokens}, cut to whole pages) for {@code ttl} on the
   * cache's clock (virtual time on the deterministic shell): while pinned, its device pages are not
   * evicted from the device and its host-only continuation not from the host. Pins hold at most
   * {@link Builder#pinnedShare} of each tier: a pin beyond that pins the leading pages that fit and
   * says so. Pinning a pinned prefix again renews it (the new deadline and extent replace the old).
   * A pin ends at its deadline, on {@link #unpin}, or when a request's {@link #extend} finds no room
   * and the request could not fit on the device beside the pinned pages even once everything else is
   * done (the oldest pin gives way first). With TP > 1, call it on every
   * rank in the same order; a pin then ends at the first {@link #poll} at which every rank has
   * passed its deadline and every older pin has ended.
   */
  public HintResult pin(int[] tokens, java.time.Duration ttl) {
    return pin(tokens, ttl, null);
  }

  /**
   * {@link #pin(int[], java.time.Duration)} of a prefix of {@code namespace} (null, or one with
   * neither part: the default namespace): it pins only pages cached under that namespace
   * (docs/behaviour.md#namespaces), and the same tokens pinned in two namespaces are two pins.
   */
  public HintResult pin(int[] tokens, java.time.Duration ttl, Namespace namespace) {
    check();
    if (ttl == null) throw new IllegalArgumentException("pin: ttl must not be null");
    long nanos = ttl.compareTo(java.time.Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE
        : ttl.isNegative() ? -1 : ttl.toNanos();
    return control.pin(tokens, nanos, namespace);
  }

  /** Ends the pin of exactly this prefix (cut to whole pages) early; {@code NOT_PINNED} when there is none. */
  public HintResult unpin(int[] tokens) {
    return unpin(tokens, null);
  }

  /** {@link #unpin(int[])} of the pin made in {@code namespace}. */
  public HintResult unpin(int[] tokens, Namespace namespace) {
    check();
    return control.unpin(tokens, namespace);
  }

  /**
   * Brings the prefix (cut to whole pages) into the host tier from L3 ahead of its request, through
   * the storage controller's prefetch (its gates and in-flight budget apply; docs/behaviour.md#prefetch);
   * it admits no request, and ends once every page L3 holds of it has arrived, whatever the prefetch
   * policy. {@code APPLIED} means the L3 query and reads started; what arrived is counted as {@code
   * hicache_hint_prefetched_tokens}.
   */
  public HintResult prefetch(int[] tokens) {
    return prefetch(tokens, null);
  }

  /**
   * {@link #prefetch(int[])} for a prefix of {@code namespace}: it looks only for L3 pages keyed from
   * that namespace's seed, and what arrives joins only that namespace's subtree, as a request's
   * prefetch does ({@link #enqueue(long, int[], Namespace)}).
   */
  public HintResult prefetch(int[] tokens, Namespace namespace) {
    check();
    return control.prefetch(tokens, namespace);
  }

  /**
   * Moves the prefix (cut to whole pages) off the device, keeping it in the host tier: every page
   * of it that no other cached sequence needs on the device, and every cached sequence that extends
   * it. Pages without a host copy are copied down first (the write_backup copy) and leave once it
   * completes, at a later {@link #poll}; pages in use, pinned or shared stay, and the result says why.
   */
  public HintResult demote(int[] tokens) {
    return demote(tokens, null);
  }

  /** {@link #demote(int[])} of a prefix of {@code namespace}: pages of other namespaces never move. */
  public HintResult demote(int[] tokens, Namespace namespace) {
    check();
    return control.demote(tokens, namespace);
  }

  /** The live pins, oldest first. */
  public List<PinnedPrefix> pins() {
    check();
    return control.pins();
  }

  /**
   * A live pin: the prefix it was given (whole pages), the namespace it was given (null: the
   * default one), how many of its leading pages it holds on the device and, after those, in the
   * host tier, and its deadline on the cache's clock ({@link Long#MAX_VALUE}: none).
   */
  public record PinnedPrefix(int[] tokens, Namespace namespace, int devicePages, int hostPages, long deadlineNanos) {}

  CacheControl control() { return control; }

  private static final System.Logger LOG = System.getLogger(HiCache.class.getName());

  /**
   * Drains the copies in flight, stops the I/O threads and closes both pools. Idempotent. Requests
   * still admitted (neither finished nor aborted) lose their pages with the pools: they are counted
   * ({@code hicache_closed_with_live_requests}) and logged.
   */
  @Override public void close() {
    if (closed) return;
    int live = controller.countLiveAtClose();
    if (live > 0) {
      LOG.log(System.Logger.Level.WARNING, "HiCache closed with " + live + " live request(s) (admitted, neither"
          + " finished nor aborted); their device pages are released with the pool");
    }
    try {
      if (production != null) {
        while (production.inFlight() > 0) {
          if (production.drain(controller) == 0) LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
        if (controller.storage() != null) controller.storage().close();
        production.close();
      } else {
        deterministic.drain();
        if (controller.storage() != null) controller.storage().close();
      }
    } finally {
      closed = true;
      controller.releaseMetricHandles();
      if (kvEvents != null) {
        kvEvents.cleared(Tier.DEVICE);
        kvEvents.cleared(Tier.HOST);
        kvEvents.close();
      }
      if (devicePool != null) devicePool.close();
      if (hostPool != null) hostPool.close();
    }
  }

  /** Builds a cache on the production shell (default) or the deterministic one. */
  public static final class Builder {
    private final HiCacheConfig config;
    private DevicePool devicePool;
    private HostPool hostPool;
    private MetricsSink metrics = MetricsSink.NONE;
    private Clock clock;
    private int ioThreads = 2;
    private CostModel costModel;
    private KvShape metadataShape;
    private int metadataDeviceTokens;
    private int metadataHostTokens;
    private MatchTouch matchTouch = MatchTouch.TRAVERSED;
    private L3Store l3Store;
    private L3CostModel l3Cost;
    private RankGroup rankGroup = RankGroup.single();
    private PrefetchPolicy prefetchPolicy;
    private String prefetchPolicyName;
    private String writePolicyName;
    private String evictionPolicyName;
    private PolicyRegistry policies = PolicyRegistry.sglang();
    private PageKey namespaceSeed;
    private double namespaceQuota;
    private boolean promptsUnmodified;
    private KvEventListener kvEventListener;
    private KvEventBatchListener kvEventBatchListener;
    private int kvEventQueueCapacity = 65_536;
    private long kvEventHandOverAgeNanos = KvEventPublisher.MAX_BATCH_AGE_NANOS;
    private boolean jfrEvents = true;
    private double pinnedShare = 0.25;

    private Builder(HiCacheConfig config) {
      if (config == null) throw new IllegalArgumentException("config is required");
      this.config = config;
    }

    /** L1. The cache owns it from build on. */
    public Builder devicePool(DevicePool p) { devicePool = p; return this; }

    /** L2. The cache owns it from build on. */
    public Builder hostPool(HostPool p) { hostPool = p; return this; }

    public Builder metrics(MetricsSink m) { metrics = m; return this; }

    /** The production shell's clock (default {@link Clock#system()}); the deterministic shell uses virtual time. */
    public Builder clock(Clock c) { clock = c; return this; }

    /** I/O threads of the production shell (default 2). */
    public Builder ioThreads(int n) { ioThreads = n; return this; }

    /**
     * L3: prefetch from it and back up to it (docs/behaviour.md#prefetch,
     * docs/behaviour.md#backup-to-l3). The caller owns the store (it may be shared by several
     * caches) and closes it after the cache. Mind the prefetch policy ({@code
     * HiCacheConfig.Builder.prefetchPolicy}): with SGLang's default {@code best_effort} an engine that
     * admits each request right after enqueueing it gets no L3 hits; {@code wait_complete} or {@code
     * timeout}, with {@code while (!readyToAdmit(rid)) poll()}, does (the README's engine loop).
     */
    public Builder storage(L3Store store) { l3Store = store; return this; }

    /** L3 command times on the deterministic shell (default {@link L3CostModel#mooncakeRdma()}). */
    public Builder l3Cost(L3CostModel cost) { l3Cost = cost; return this; }

    /**
     * The tensor-parallel ranks this cache is one of (default a single rank). With more than one,
     * every rank must call {@link HiCache#poll} once per scheduler iteration (or {@link
     * HiCache#pollGather} / {@link HiCache#pollApply} for step-synchronous ranks): it is the one
     * collective of the iteration, agreeing on copy acks (writing_check) and on prefetch decisions.
     */
    public Builder rankGroup(RankGroup group) {
      if (group == null) throw new IllegalArgumentException("rank group must not be null");
      rankGroup = group;
      return this;
    }

    /** A prefetch policy of one's own instead of {@code --hicache-storage-prefetch-policy}'s. */
    public Builder prefetchPolicy(PrefetchPolicy policy) { prefetchPolicy = policy; return this; }

    /**
     * The policies this cache's names refer to (default {@link PolicyRegistry#sglang()}): the config's
     * {@code --radix-eviction-policy}, {@code --hicache-write-policy} and {@code
     * --hicache-storage-prefetch-policy} are looked up in it, and so are {@link #prefetchPolicy(String)},
     * {@link #writePolicy(String)} and {@link #evictionPolicy(String)}.
     */
    public Builder policies(PolicyRegistry registry) {
      if (registry == null) throw new IllegalArgumentException("policy registry must not be null");
      policies = registry;
      return this;
    }

    /** The prefetch policy registered under {@code name} instead of the config's {@code --hicache-storage-prefetch-policy}. */
    public Builder prefetchPolicy(String name) { prefetchPolicyName = name; return this; }

    /** The write policy registered under {@code name} instead of the config's {@code --hicache-write-policy}. */
    public Builder writePolicy(String name) { writePolicyName = name; return this; }

    /** The eviction policy registered under {@code name} instead of the config's {@code --radix-eviction-policy}. */
    public Builder evictionPolicy(String name) { evictionPolicyName = name; return this; }

    /**
     * The seed of the default namespace: the prior of the page-hash chains of requests that carry
     * no namespace (docs/behaviour.md#namespaces). Default none (SGLang's plain keys).
     */
    public Builder namespaceSeed(PageKey seed) { namespaceSeed = seed; return this; }

    /**
     * A per-namespace quota, as a share of each tier (L1 and L2): a namespace whose pages in a tier,
     * with what it asks for, exceed {@code fraction} of the tier evicts its own pages first when it
     * needs room; then eviction takes every namespace's pages in one order, as without a quota. It
     * never refuses a request and never keeps a tier idle: a namespace may hold more while there is
     * free room (docs/behaviour.md#namespaces). Default: none, one order over every namespace.
     *
     * @param fraction in (0, 1]
     */
    public Builder namespaceQuota(double fraction) {
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException("HiCache.Builder.namespaceQuota must be a share of each tier in (0, 1], got " + fraction);
      }
      namespaceQuota = fraction;
      return this;
    }

    /**
     * The engine promises never to modify a token array after handing it to {@link HiCache#enqueue},
     * {@link HiCache#admit} or {@link HiCache#finish} (SGLang's requests keep their ids as they are):
     * the cache then keeps references to them instead of defensive copies (the radix tree's keys
     * among them: a new node may be a view of the inserted prompt). Default false (copies): with the
     * promise broken, a request's prefetched or cached pages could be filed under tokens it does not
     * hold.
     */
    public Builder promptsUnmodified(boolean v) { promptsUnmodified = v; return this; }

    /**
     * Reports which pages each tier holds to {@code listener}, on a thread of the cache's own,
     * through a bounded queue that never blocks the scheduler (docs/observability.md#kv-events).
     * Turns page keys on even for a metadata-only simulation without L3.
     */
    public Builder kvEvents(KvEventListener listener) { kvEventListener = listener; return this; }

    /**
     * As {@link #kvEvents}, but hands {@code listener} a batch of events at a time as a {@link
     * KvEventBatch} view, with no object per event: the cheaper form for a listener that reads the
     * fields (docs/observability.md#kv-events). A cache has one KV event listener: not both forms.
     */
    public Builder kvEventBatches(KvEventBatchListener listener) { kvEventBatchListener = listener; return this; }

    /**
     * How long KV events may wait for later ones before the listener's thread takes them (default
     * 10 ms): while events keep coming it takes what has been published once per this age, sooner
     * when its queue is half full. Longer means fewer wake-ups of that thread, shorter means earlier
     * delivery (docs/observability.md#kv-events); zero takes each event as soon as it can.
     */
    public Builder kvEventHandOverAge(java.time.Duration age) {
      if (age == null || age.isNegative()) {
        throw new IllegalArgumentException("KV event hand-over age must be zero or more, got " + age);
      }
      kvEventHandOverAgeNanos = age.toNanos();
      return this;
    }

    /** Capacity of the KV event queue (default 65536); a full queue drops and counts events. */
    public Builder kvEventQueueCapacity(int capacity) {
      if (capacity < 1) throw new IllegalArgumentException("KV event queue capacity must be at least 1, got " + capacity);
      kvEventQueueCapacity = capacity;
      return this;
    }

    /**
     * Emit JFR events for copies, prefetches, evictions and checksum failures (default true; they
     * cost next to nothing while no recording is on; docs/observability.md#jfr-events).
     */
    public Builder jfrEvents(boolean on) { jfrEvents = on; return this; }

    /**
     * The most of each tier (device, host) that pins may hold, as a share of its capacity, in [0, 1)
     * (default 0.25; 0 turns pins off). Running requests always keep the rest, and a request that
     * still finds no room on the device makes pins give way (docs/engine-integration.md#cache-control).
     */
    public Builder pinnedShare(double share) {
      if (!(share >= 0) || !(share < 1)) {
        throw new IllegalArgumentException("HiCache.Builder.pinnedShare must be in [0, 1) (a tier must never be all"
            + " pinned), got " + share);
      }
      pinnedShare = share;
      return this;
    }

    /** What a splitting match touches (default SGLang's {@link MatchTouch#TRAVERSED}). */
    public Builder matchTouch(MatchTouch t) { matchTouch = t; return this; }

    /** Run on the deterministic shell in virtual time with this cost model. */
    public Builder deterministic(CostModel cost) { costModel = cost; return this; }

    /**
     * Simulation without memory: page ids only, copies cost virtual time but move no bytes. Implies
     * the deterministic shell. {@code hostTokens} 0 means no host tier (L1 only).
     */
    public Builder metadataOnly(KvShape shape, int deviceTokens, int hostTokens) {
      metadataShape = shape;
      metadataDeviceTokens = deviceTokens;
      metadataHostTokens = hostTokens;
      return this;
    }

    public HiCache build() {
      int ps = config.pageSize();
      KvShape shape;
      TierPageAllocator device;
      TierPageAllocator host;
      if (metadataShape != null) {
        if (devicePool != null || hostPool != null) throw new IllegalArgumentException("metadata-only caches take no pools");
        shape = metadataShape;
        checkTokens("device", metadataDeviceTokens, ps, false);
        checkTokens("host", metadataHostTokens, ps, true);
        checkHostLarger(metadataHostTokens, metadataDeviceTokens);
        device = TierPageAllocator.metadataOnly(metadataDeviceTokens / ps);
        host = metadataHostTokens == 0 ? null : TierPageAllocator.metadataOnly(metadataHostTokens / ps);
        if (costModel == null) costModel = CostModel.pcieGen5();
      } else {
        if (devicePool == null) throw new IllegalArgumentException("a device pool is required");
        shape = devicePool.shape();
        if (hostPool != null && !hostPool.shape().equals(shape)) {
          throw new IllegalArgumentException("host pool shape " + hostPool.shape() + " differs from device pool shape " + shape);
        }
        device = TierPageAllocator.of(devicePool);
        host = hostPool == null ? null : TierPageAllocator.of(hostPool);
        if (hostPool != null) checkHostLarger(hostPool.capacityTokens(), devicePool.capacityTokens());
      }
      if (shape.pageSize() != ps) {
        throw new IllegalArgumentException("HiCacheConfig pageSize " + ps + " differs from the KV pools' page size " + shape.pageSize());
      }
      DeterministicShell det = null;
      ProductionShell prod = null;
      Clock c;
      LoadTicket.Driver driver = null;
      TransferPort port;
      if (costModel != null) {
        det = new DeterministicShell(costModel, shape.bytesPerPage(), ps, devicePool, hostPool);
        c = det.clock();
        driver = det;
        port = det;
      } else {
        prod = new ProductionShell(devicePool, hostPool, ioThreads);
        c = clock == null ? Clock.system() : clock;
        port = prod;
      }
      // Page keys bind host bytes to what they hold and name L3 objects; a metadata-only simulation
      // without L3 moves no bytes and needs none (hashing is most of its CPU time).
      if (kvEventListener != null && kvEventBatchListener != null) {
        throw new IllegalStateException("kvEvents and kvEventBatches are both set: a cache has one KV event listener");
      }
      boolean kv = kvEventListener != null || kvEventBatchListener != null;
      PageHasher hasher = metadataShape != null && l3Store == null && !kv ? null : new PageHasher(ps);
      WritePolicy write = policies.write(writePolicyName != null ? writePolicyName : config.writePolicy().flagName(), config);
      HiRadixTree tree = new HiRadixTree(ps, policies.eviction(
          evictionPolicyName != null ? evictionPolicyName : config.radixEvictionPolicy().flagName()), c, write, hasher,
          namespaceSeed, matchTouch);
      if (namespaceQuota > 0) {
        tree.namespaceQuota(Math.max(1, (int) (namespaceQuota * device.capacity())),
            host == null ? Integer.MAX_VALUE : Math.max(1, (int) (namespaceQuota * host.capacity())));
      }
      CacheController controller = new CacheController(tree, shape.layers(), shape.bytesPerPage(), write,
          device, host, port, metrics, config.loadBackThreshold(), driver, c);
      if (det != null) det.bind(controller);
      EngineEvents events = jfrEvents ? new JfrEngineEvents() : EngineEvents.NONE;
      controller.engineEvents(events);
      KvEventPublisher publisher = kvEventListener != null
          ? new KvEventPublisher(kvEventListener, kvEventQueueCapacity, namespaceSeed, metrics, kvEventHandOverAgeNanos)
          : kvEventBatchListener != null
              ? KvEventPublisher.ofBatches(kvEventBatchListener, kvEventQueueCapacity, namespaceSeed, metrics,
                  kvEventHandOverAgeNanos)
              : null;
      if (publisher != null) tree.observer(new KvEventTreeObserver(publisher));
      if (promptsUnmodified) controller.promptsUnmodified();
      if (l3Store != null) {
        if (host == null) throw new IllegalArgumentException("HiCache.Builder.storage(L3Store) needs a host tier: give hostPool(...) (L3 pages pass through L2)");
        L3PageIo io = new L3PageIo(l3Store, hostPool, ps, metrics);
        io.engineEvents(events);
        L3Port l3 = det != null ? new VirtualTimeL3Port(io, l3Cost == null ? L3CostModel.mooncakeRdma() : l3Cost, c)
            : new ThreadedL3Port(io);
        StorageController.Builder sb = StorageController.builder(tree, controller.hostPages(hostPool), l3).config(config)
            .rankGroup(rankGroup).clock(c).metrics(metrics).namespaceSeed(namespaceSeed)
            .deviceTokens(device.capacity() * ps).mla(shape.mla()).pageBytes(shape.bytesPerPage())
            .promptsUnmodified(promptsUnmodified);
        sb.policy(prefetchPolicy != null ? prefetchPolicy
            : policies.prefetch(prefetchPolicyName != null ? prefetchPolicyName : config.prefetchPolicy().flagName(), config));
        StorageController sc = sb.build();
        sc.engineEvents(events);
        if (publisher != null) sc.kvEvents(publisher);
        controller.attachStorage(sc);
        // A single rank has no partner to keep in step with: its shell may run the storage tick after
        // every event (a scheduler iteration per event, as the simulator models it). With TP > 1 the
        // shell only delivers L3 completions; the tick runs once per poll() on every rank
        // (docs/behaviour.md#tp-consensus).
        if (det != null) det.attachStorage(l3::nextDueNanos, rankGroup.size() == 1 ? sc::tick : sc::pollL3);
        if (rankGroup.size() > 1) sc.addParticipant(controller.ackConsensus());
      }
      if (rankGroup.size() > 1) controller.agreeAcksAcrossRanks();
      HiCache cache = new HiCache(controller, prod, det, devicePool, hostPool, ps, rankGroup);
      cache.kvEvents = publisher;
      CacheControl control = new CacheControl(controller, pinnedShare, c, metrics);
      if (rankGroup.size() > 1) control.agreeExpiryAcrossRanks();
      controller.control(control);
      cache.control = control;
      return cache;
    }

    private static void checkTokens(String what, int tokens, int ps, boolean zeroOk) {
      if (tokens < 0 || (!zeroOk && tokens == 0) || tokens % ps != 0) {
        throw new IllegalArgumentException(what + " capacity " + tokens + " tokens must be a "
            + (zeroOk ? "non-negative" : "positive") + " multiple of HiCacheConfig pageSize " + ps);
      }
    }

    private static void checkHostLarger(int hostTokens, int deviceTokens) {
      if (hostTokens != 0 && hostTokens <= deviceTokens) {
        throw new IllegalArgumentException("the host pool (" + hostTokens + " tokens) must be larger than the device pool ("
            + deviceTokens + " tokens): give a larger hostPool, or raise HiCacheConfig hicacheRatio or hicacheSizeGb"
            + " (docs/behaviour.md#host-pool-size)");
      }
    }
  }
}
