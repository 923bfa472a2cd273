package dev.hicache.simulator.virtualtime;

import dev.hicache.api.KvShape;
import dev.hicache.api.Namespace;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.api.spi.L3Store;
import dev.hicache.core.sim.L3CostModel;
import dev.hicache.core.sim.MatchTouch;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.DeterministicShell;

/**
 * The engine in virtual time, for the simulator: the real controller and radix tree on the
 * deterministic shell, metadata only (page ids, no KV bytes), copies timed by a {@link CostModel},
 * requests served one after another as a batch-size-1 engine would.
 *
 * <p>Per request ({@link #submit}): time moves to its arrival (copies due meanwhile complete);
 * the prompt is matched and its host part loaded back; prefill of the uncached tokens takes {@code
 * prefillNanosPerToken} each plus, with {@link #attention}, their attention over the cached and
 * earlier new tokens, split evenly over the layers, and overlaps the load layer by layer
 * (layer i computes once layer i has landed and layer i-1 is computed); the
 * prompt's full pages are inserted (the write policy copies them down) — with the output's as
 * well when the workload knows the output tokens; decode takes {@code decodeNanosPerToken} per
 * output token. Hit ratio = cached tokens / prompt tokens.
 *
 * <p>Not thread-safe; one simulation per instance.
 */
public final class TieredSimulation implements AutoCloseable {
  /**
   * What one request got.
   *
   * @param startedAtNanos when the instance took the request up: its arrival, or later when earlier
   *     requests kept the engine busy (queueing); from then until {@code admittedAtNanos} it waited
   *     for its L3 prefetch as the prefetch policy says
   */
  public record Outcome(int promptTokens, int deviceHitTokens, int hostHitTokens, int storageHitTokens,
                        long admittedAtNanos, long readyAtNanos, long finishedAtNanos, boolean cached,
                        long startedAtNanos) {
    /** Device hit plus everything loaded back (host hits include those a prefetch brought from L3). */
    public int cachedTokens() { return deviceHitTokens + hostHitTokens; }
  }

  private final HiCache cache;
  private final DeterministicShell shell;
  private final InMemoryMetrics metrics;
  private final long prefillNanosPerToken;
  private final long decodeNanosPerToken;
  private double attentionNanosPerPair;
  private long prefillFloorNanos;
  private long prefillOverheadNanos;
  private long requests;
  private long promptTokens;
  private long deviceHitTokens;
  private long hostHitTokens;
  private long storageHitTokens;
  private long uncached;
  private final boolean storage;

  /**
   * @param config page size, write policy, eviction policy, load-back threshold
   * @param shape the KV shape (bytes per page for the cost model)
   * @param deviceTokens L1 capacity (a multiple of the page size)
   * @param hostTokens L2 capacity; 0 = no host tier (L1 only); otherwise more than deviceTokens
   * @param cost copy times
   * @param prefillNanosPerToken virtual compute time per uncached prompt token
   * @param decodeNanosPerToken virtual compute time per output token
   * @param matchTouch what a splitting match touches (the L1-only reference uses MATCHED_ONLY)
   */
  public TieredSimulation(HiCacheConfig config, KvShape shape, int deviceTokens, int hostTokens, CostModel cost,
                          long prefillNanosPerToken, long decodeNanosPerToken, MatchTouch matchTouch) {
    this(config, shape, deviceTokens, hostTokens, cost, prefillNanosPerToken, decodeNanosPerToken, matchTouch, null, null);
  }

  /**
   * With an L3 store as well (L1+L2+L3): each request is queued first, so its prefetch of the L3
   * hit beyond the local match starts; it is admitted when {@code --hicache-storage-prefetch-policy}
   * lets it (best_effort: at once, with whatever has arrived). Pages move as stubs (no host bytes),
   * so the store holds only keys and checksummed stubs.
   *
   * @param l3 the store (owned by the caller; may be shared by several simulations); null = no L3
   * @param l3Cost L3 command times; null = {@link L3CostModel#mooncakeRdma()}
   */
  public TieredSimulation(HiCacheConfig config, KvShape shape, int deviceTokens, int hostTokens, CostModel cost,
                          long prefillNanosPerToken, long decodeNanosPerToken, MatchTouch matchTouch,
                          L3Store l3, L3CostModel l3Cost) {
    if (prefillNanosPerToken < 0 || decodeNanosPerToken < 0) throw new IllegalArgumentException("compute times must be >= 0");
    this.metrics = new InMemoryMetrics();
    HiCache.Builder b = HiCache.builder(config).metadataOnly(shape, deviceTokens, hostTokens).deterministic(cost)
        .metrics(metrics).matchTouch(matchTouch)
        // submit() serves a request to its end before it returns, and nothing here modifies a prompt:
        // the cache may keep the caller's arrays instead of copying every prompt twice.
        .promptsUnmodified(true);
    if (l3 != null) {
      if (hostTokens == 0) throw new IllegalArgumentException("an L3 store needs a host tier: give the host pool a capacity");
      b.storage(l3);
      if (l3Cost != null) b.l3Cost(l3Cost);
    }
    this.storage = l3 != null;
    this.cache = b.build();
    this.shell = cache.deterministicShell();
    this.prefillNanosPerToken = prefillNanosPerToken;
    this.decodeNanosPerToken = decodeNanosPerToken;
  }

  /**
   * Makes prefill time depend on the cached tokens too: each of the n new tokens attends to every
   * earlier token, cached or new (causal), so prefill costs {@code n × prefillNanosPerToken +
   * nanosPerTokenPair × n × (cached + (n + 1) / 2)}. 0 (the default) leaves attention's products out.
   */
  public TieredSimulation attention(double nanosPerTokenPair) {
    if (!(nanosPerTokenPair >= 0) || Double.isInfinite(nanosPerTokenPair)) {
      throw new IllegalArgumentException("attention time per token pair must be >= 0, got " + nanosPerTokenPair);
    }
    this.attentionNanosPerPair = nanosPerTokenPair;
    return this;
  }

  /**
   * A prefill step never takes less than {@code floorNanos} (an eager forward pass with few tokens
   * is bound by launching its kernels) and otherwise costs {@code overheadNanos} on top of its
   * tokens' compute (docs/calibration.md). Both 0 by default.
   */
  public TieredSimulation prefillFloor(long floorNanos, long overheadNanos) {
    if (floorNanos < 0 || overheadNanos < 0) {
      throw new IllegalArgumentException("prefill floor and overhead must be >= 0, got " + floorNanos + " and " + overheadNanos);
    }
    this.prefillFloorNanos = floorNanos;
    this.prefillOverheadNanos = overheadNanos;
    return this;
  }

  /** Prefill compute of {@code newTokens} after {@code cachedTokens} cached ones, nanoseconds (0 for none). */
  public long prefillNanos(long newTokens, long cachedTokens) {
    return prefillNanos(prefillFloorNanos, prefillOverheadNanos, prefillNanosPerToken, attentionNanosPerPair, newTokens,
        cachedTokens);
  }

  /**
   * The prefill model (docs/calibration.md): {@code max(floor, overhead + n × perToken + perPair ×
   * n × (cached + (n + 1) / 2))} for {@code n} new tokens, 0 for none. The one place it is computed:
   * the hardware profiles' predictions are this, with their calibrated parameters.
   */
  public static long prefillNanos(long floorNanos, long overheadNanos, long nanosPerToken, double nanosPerPair,
      long newTokens, long cachedTokens) {
    if (newTokens <= 0) return 0;
    long compute = overheadNanos + newTokens * nanosPerToken
        + Math.round(nanosPerPair * newTokens * (cachedTokens + (newTokens + 1) / 2.0));
    return Math.max(floorNanos, compute);
  }

  /**
   * Serves one request arriving at {@code arrivalNanos} (earlier arrivals wait for the engine)
   * whose output tokens are not known (a Mooncake trace): only the prompt's pages are cached.
   */
  public Outcome submit(long arrivalNanos, int[] tokens, int outputTokens) {
    return submit(arrivalNanos, tokens, null, outputTokens);
  }

  /**
   * Serves one request arriving at {@code arrivalNanos}. With {@code outputIds} (the workload knows
   * what the model answers, e.g. a multi-turn client whose next prompt contains the answer), the
   * request holds device pages for its output while it decodes and, like SGLang's
   * cache_finished_req, caches the page-aligned prompt + output when it finishes (the last output
   * token's KV is never computed, so {@code prompt + output - 1} tokens); the next turn then hits
   * the answer. Without them only the prompt is cached, when its prefill is done.
   */
  public Outcome submit(long arrivalNanos, int[] tokens, int[] outputIds, int outputTokens) {
    shell.advanceTo(Math.max(arrivalNanos, shell.now()));
    long started = shell.now();
    CacheRequest r;
    if (storage) {
      long rid = requests;
      cache.enqueue(rid, tokens, pageKeys, namespace);
      int rounds = 0;
      while (!cache.readyToAdmit(rid)) {
        if (!shell.runNext()) cache.poll(); // nothing due: one more scheduler iteration decides
        if (++rounds > 10_000_000) throw new IllegalStateException("request " + rid + " never became admissible");
      }
      r = cache.admit(rid, tokens, 0, pageKeys, namespace);
    } else {
      r = namespace == null ? cache.admit(tokens) : cache.admit(tokens, 0, namespace);
    }
    long admitted = shell.now();
    // Layer-wise overlap (docs/behaviour.md#layer-wise-load): layer i's prefill starts once layer i
    // of the cached prefix has landed and layer i-1's prefill is done.
    long prefill = prefillNanos(tokens.length - r.cachedTokens(), r.cachedTokens());
    int layers = r.load().layers();
    long computeDone = admitted;
    // On a shared link the layers' landing times are known only once the load is done.
    shell.runUntil(() -> r.load().isDone());
    for (int layer = 0; layer < layers; layer++) {
      long start = Math.max(computeDone, r.layerDueNanos(layer));
      computeDone = start + prefill * (layer + 1) / layers - prefill * layer / layers;
    }
    // Device pages for the prompt; under write_back they may wait for copies to be acknowledged.
    boolean ok = extend(r, tokens.length);
    while (!ok && shell.runNext()) ok = extend(r, tokens.length);
    long ready = Math.max(shell.now(), computeDone);
    shell.advanceTo(ready);
    int[] sequence = tokens;
    int kvTokens = tokens.length;
    if (ok && outputIds != null && outputIds.length > 1) {
      int[] all = java.util.Arrays.copyOf(tokens, tokens.length + outputIds.length);
      System.arraycopy(outputIds, 0, all, tokens.length, outputIds.length);
      // The decode's KV needs device pages too; if the device cannot give them even after the
      // copies in flight complete, the output is computed but only the prompt is cached.
      boolean room = extend(r, all.length - 1);
      while (!room && shell.runNext()) room = extend(r, all.length - 1);
      if (room) {
        sequence = all;
        kvTokens = all.length - 1;
        shell.advanceTo(shell.now() + (long) outputTokens * decodeNanosPerToken);
      }
    }
    boolean decoded = sequence != tokens;
    if (ok) {
      cache.finish(r, sequence, kvTokens);
    } else {
      cache.abort(r); // larger than what the device can hold besides its locks: computed, not cached
      uncached++;
    }
    if (!decoded) shell.advanceTo(shell.now() + (long) outputTokens * decodeNanosPerToken);
    requests++;
    promptTokens += tokens.length;
    deviceHitTokens += r.deviceHitTokens();
    hostHitTokens += r.hostHitTokens();
    storageHitTokens += r.storageHitTokens();
    return new Outcome(tokens.length, r.deviceHitTokens(), r.hostHitTokens(), r.storageHitTokens(), admitted, ready,
        shell.now(), ok, started);
  }

  /** The prompt page keys of the {@link #submit(long, int[], int[], int, PageKey[])} in progress, or null. */
  private PageKey[] pageKeys;

  /**
   * {@link #submit(long, int[], int[], int)} with the prompt's page keys computed beforehand (by
   * {@link #pageKeys}, on any thread; null = hash here): the L3 query and the tree take them instead
   * of hashing the pages again. Same results as without them when they are right (tests compare the
   * two); wrong keys name wrong L3 objects, and {@link #checkInvariants()} finds them in the tree.
   * Keys of another exact naming (the simulator's keys by page serial, docs/simulator.md#page-keys:
   * equal exactly when the prefixes are) give the same results too, but fail that check, which
   * re-hashes pages with SGLang's hash.
   */
  public Outcome submit(long arrivalNanos, int[] tokens, int[] outputIds, int outputTokens, PageKey[] pageKeys) {
    this.pageKeys = pageKeys;
    try {
      return submit(arrivalNanos, tokens, outputIds, outputTokens);
    } finally {
      this.pageKeys = null;
    }
  }

  /** The namespace of the {@link #submit(long, int[], int[], int, PageKey[], Namespace)} in progress, or null. */
  private Namespace namespace;

  /**
   * {@link #submit(long, int[], int[], int, PageKey[])} for a request of {@code namespace}
   * (docs/behaviour.md#namespaces; null: the default one): it shares pages only with requests of
   * the same namespace, in every tier; {@code pageKeys} must be chained from its seed ({@link
   * #pageKeys(PageHasher, PageKey, int[])}).
   */
  public Outcome submit(long arrivalNanos, int[] tokens, int[] outputIds, int outputTokens, PageKey[] pageKeys,
                        Namespace namespace) {
    this.namespace = namespace;
    try {
      return submit(arrivalNanos, tokens, outputIds, outputTokens, pageKeys);
    } finally {
      this.namespace = null;
    }
  }

  /**
   * The page keys {@link #submit(long, int[], int[], int, PageKey[])} takes for {@code tokens}: every full
   * page's, chained from the start of the sequence (a simulation's caches have no namespace seed).
   * A pure function of the tokens: any thread may compute them, with its own hasher.
   */
  public static PageKey[] pageKeys(PageHasher hasher, int[] tokens) {
    return pageKeys(hasher, null, tokens);
  }

  /** {@link #pageKeys(PageHasher, int[])} chained from {@code seed}: a namespace's ({@link Namespace#seed()}). */
  public static PageKey[] pageKeys(PageHasher hasher, PageKey seed, int[] tokens) {
    int ps = hasher.pageSize();
    PageKey[] keys = new PageKey[tokens.length / ps];
    PageKey prior = seed;
    for (int p = 0; p < keys.length; p++) {
      prior = hasher.hashPage(prior, tokens, p * ps);
      keys[p] = prior;
    }
    return keys;
  }

  /**
   * Runs every copy and L3 command due up to {@code nanos} (this instance's clock never goes
   * backwards). Several simulations sharing one L3 store call it on each instance before the next
   * arrival anywhere, so a backup one instance finishes writing at time t is visible to every
   * other instance that queries L3 after t, and not before; otherwise an idle instance's L2->L3
   * copies would only complete when it next serves a request.
   */
  public void advanceTo(long nanos) {
    if (nanos > shell.now()) shell.advanceTo(nanos);
  }

  /**
   * When this instance's next copy or L3 command completes (on a shared link: the link's current
   * projection); {@link Long#MAX_VALUE} when nothing is in flight.
   */
  public long nextEventNanos() {
    return shell.nextEventNanos();
  }

  /** The shell, for a {@link VirtualTimeCluster}. */
  DeterministicShell shell() {
    return shell;
  }

  /** Completes every copy still in flight. */
  public void drain() {
    shell.drain();
  }

  public long now() { return shell.now(); }

  public long requests() { return requests; }

  public long promptTokens() { return promptTokens; }

  public long deviceHitTokens() { return deviceHitTokens; }

  /** Tokens loaded back from the host, those prefetched from L3 included. */
  public long hostHitTokens() { return hostHitTokens; }

  /** Of {@link #hostHitTokens()}, those a prefetch brought from L3 ({@code cached_tokens{storage}}). */
  public long storageHitTokens() { return storageHitTokens; }

  /** Tokens the device tier (L1) holds in the tree now: the report's occupancy. O(1). */
  public long deviceCachedTokens() { return cache.deviceCachedTokens(); }

  /** Tokens the host tier (L2) holds in the tree now. O(1). */
  public long hostCachedTokens() { return cache.hostCachedTokens(); }

  /** Requests whose pages could not be cached (larger than the device). */
  public long uncachedRequests() { return uncached; }

  /** (device + host hit tokens) / prompt tokens. */
  public double hitRatio() {
    return promptTokens == 0 ? 0 : (double) (deviceHitTokens + hostHitTokens) / promptTokens;
  }

  /** Every metric the engine reported (cached_tokens by source, backuped_tokens, load_back_tokens, ...). */
  public InMemoryMetrics metrics() { return metrics; }

  /**
   * The application's pin of {@code prefix} (docs/engine-integration.md#cache-control), made between
   * requests: renewed for {@code ttl} of virtual time from now.
   */
  public dev.hicache.core.engine.HintResult pin(int[] prefix, java.time.Duration ttl, dev.hicache.api.Namespace namespace) {
    return cache.pin(prefix, ttl, namespace);
  }

  /** Checks the tree's and the controller's invariants (tests). */
  public void checkInvariants() { cache.checkInvariants(); }

  @Override public void close() { cache.close(); }

  /** {@link HiCache#extend}, with a request larger than the whole device pool as "no room" (it is served uncached). */
  private boolean extend(CacheRequest r, int tokens) {
    try {
      return cache.extend(r, tokens);
    } catch (dev.hicache.core.engine.NeverFitsException e) {
      return false;
    }
  }
}
