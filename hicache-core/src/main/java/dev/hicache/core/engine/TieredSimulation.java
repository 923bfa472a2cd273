package dev.hicache.core.engine;

import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.tree.MatchTouch;

/**
 * The engine in virtual time, for the simulator: the real controller and radix tree on the
 * deterministic shell, metadata only (page ids, no KV bytes), copies timed by a {@link CostModel},
 * requests served one after another as a batch-size-1 engine would.
 *
 * <p>Per request ({@link #submit}): time moves to its arrival (copies due meanwhile complete);
 * the prompt is matched and its host part loaded back; prefill of the uncached tokens takes {@code
 * prefillNanosPerToken} each and overlaps the load (the request is ready when both are done); the
 * prompt's full pages are inserted (the write policy copies them down); decode takes {@code
 * decodeNanosPerToken} per output token. Hit ratio = cached tokens / prompt tokens.
 *
 * <p>Not thread-safe; one simulation per instance.
 */
public final class TieredSimulation implements AutoCloseable {
  /** What one request got. */
  public record Outcome(int promptTokens, int deviceHitTokens, int hostHitTokens, long admittedAtNanos,
                        long readyAtNanos, long finishedAtNanos, boolean cached) {
    public int cachedTokens() { return deviceHitTokens + hostHitTokens; }
  }

  private final HiCache cache;
  private final DeterministicShell shell;
  private final InMemoryMetrics metrics;
  private final long prefillNanosPerToken;
  private final long decodeNanosPerToken;
  private long requests;
  private long promptTokens;
  private long deviceHitTokens;
  private long hostHitTokens;
  private long uncached;

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
    if (prefillNanosPerToken < 0 || decodeNanosPerToken < 0) throw new IllegalArgumentException("compute times must be >= 0");
    this.metrics = new InMemoryMetrics();
    this.cache = HiCache.builder(config).metadataOnly(shape, deviceTokens, hostTokens).deterministic(cost)
        .metrics(metrics).matchTouch(matchTouch).build();
    this.shell = cache.deterministicShell();
    this.prefillNanosPerToken = prefillNanosPerToken;
    this.decodeNanosPerToken = decodeNanosPerToken;
  }

  /** Serves one request arriving at {@code arrivalNanos} (earlier arrivals wait for the engine). */
  public Outcome submit(long arrivalNanos, int[] tokens, int outputTokens) {
    shell.advanceTo(Math.max(arrivalNanos, shell.now()));
    long admitted = shell.now();
    CacheRequest r = cache.admit(tokens);
    long computeDone = admitted + (tokens.length - r.cachedTokens()) * prefillNanosPerToken;
    shell.runUntil(() -> r.load().isDone());
    // Device pages for the prompt; under write_back they may wait for copies to be acknowledged.
    boolean ok = cache.extend(r, tokens.length);
    while (!ok && shell.runNext()) ok = cache.extend(r, tokens.length);
    long ready = Math.max(shell.now(), computeDone);
    shell.advanceTo(ready);
    if (ok) {
      cache.finish(r, tokens, tokens.length);
    } else {
      cache.abort(r); // larger than what the device can hold besides its locks: computed, not cached
      uncached++;
    }
    shell.advanceTo(shell.now() + (long) outputTokens * decodeNanosPerToken);
    requests++;
    promptTokens += tokens.length;
    deviceHitTokens += r.deviceHitTokens();
    hostHitTokens += r.hostHitTokens();
    return new Outcome(tokens.length, r.deviceHitTokens(), r.hostHitTokens(), admitted, ready, shell.now(), ok);
  }

  /** Completes every copy still in flight. */
  public void drain() {
    shell.drain();
  }

  public long now() { return shell.now(); }

  public long requests() { return requests; }

  public long promptTokens() { return promptTokens; }

  public long deviceHitTokens() { return deviceHitTokens; }

  public long hostHitTokens() { return hostHitTokens; }

  /** Requests whose pages could not be cached (larger than the device). */
  public long uncachedRequests() { return uncached; }

  /** (device + host hit tokens) / prompt tokens. */
  public double hitRatio() {
    return promptTokens == 0 ? 0 : (double) (deviceHitTokens + hostHitTokens) / promptTokens;
  }

  /** Every metric the engine reported (cached_tokens by source, backuped_tokens, load_back_tokens, ...). */
  public InMemoryMetrics metrics() { return metrics; }

  /** Checks the tree's and the controller's invariants (tests). */
  public void checkInvariants() { cache.checkInvariants(); }

  @Override public void close() { cache.close(); }
}
