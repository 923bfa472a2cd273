package dev.hicache.simulator.engine;

import java.util.SortedMap;
import dev.hicache.simulator.l3.MooncakeL3Model;

/**
 * Totals of an engine run. Token counts are prompt tokens; "saved" prefill = cached tokens. Hits by
 * tier: device (L1), host (L2, loaded back from host memory), storage (L3, prefetched into the host
 * tier and loaded from there); they add up to the cached tokens.
 *
 * @param groups per group (round): {requests, prompt tokens, device hits, host hits, TTFT sum ns, storage hits}
 * @param timeline per interval of arrival time ({@link Bucket} names the columns): prompt tokens, hits by
 *     tier, link bytes, tier occupancy
 * @param decodedRequests requests the PD decode instances served (0 without PD)
 * @param decodeL3WritePages pages the decode instances offloaded to L3 (PD decode offload)
 * @param sharedL3Transfers L3 reads and writes that shared the link with another (shared link only)
 * @param queueing how long requests waited before their prefill could start
 * @param mooncakeL3 what the Mooncake model's pool did during this run ({@code --l3 mooncake}; else null)
 * @param pageReferences full prompt pages of all requests (sum of floor(prompt / page size)); 0 = unknown
 * @param ttftCdf TTFT's distribution, overall and by the tier that served most of a request's hit
 *     (the HTML report's CDF); null when not collected
 */
public record EngineResult(EngineSetup setup, String workload, String groupName, long requests, long promptTokens,
    long deviceHitTokens, long hostHitTokens, long storageHitTokens, long uncachedRequests, long deviceToHostBytes,
    long hostToDeviceBytes, long evictedDeviceTokens, long evictedHostTokens, long l3ReadPages, long l3WritePages,
    java.util.SortedMap<String, Long> prefetchOutcomes, long ttftP50, long ttftP90, long ttftP99, long ttftMean,
    long virtualNanos, SortedMap<Integer, long[]> groups, java.util.List<long[]> timeline, long wallNanos,
    long decodedRequests, long decodeL3WritePages, long sharedL3Transfers, Queueing queueing,
    MooncakeL3Model.Stats mooncakeL3, long pageReferences, TtftCdf ttftCdf) {

  /**
   * The columns of a {@link #timeline()} bucket: one bucket per interval of arrival time, counted
   * from the first arrival; every bucket is as wide as the first two are apart (a long run gets
   * wider buckets, never more than {@link EngineReplay#MAX_TIMELINE_BUCKETS}). Each request counts
   * in the bucket of its arrival.
   */
  public static final class Bucket {
    private Bucket() {}

    /** Prompt tokens and cached (hit) tokens. */
    public static final int PROMPT = 0, CACHED = 1;
    /** PCIe bytes device->host (backups) and host->device (load-backs); modelled L3 bytes read and written. */
    public static final int D2H_BYTES = 2, H2D_BYTES = 3, L3_READ_BYTES = 4, L3_WRITE_BYTES = 5;
    /** Where the bucket starts: seconds after the first arrival. */
    public static final int START_SECONDS = 6;
    /** Hit tokens by tier: device, host (loaded back, not from L3), storage (prefetched from L3). */
    public static final int L1_HIT = 7, L2_HIT = 8, L3_HIT = 9;
    /**
     * Tier occupancy: at each request's completion, the L1 (device) and L2 (host) tokens held by
     * all prefill instances together (each instance as of its latest request), summed over the
     * bucket's {@code SAMPLES} completions: the mean is {@code L1_HELD / SAMPLES}.
     */
    public static final int L1_HELD = 10, L2_HELD = 11, SAMPLES = 12;
    /** The number of columns. */
    public static final int COLUMNS = 13;
  }

  /**
   * Waiting before prefill, nanoseconds: queue delay (arrival until the instance takes the request
   * up, behind earlier requests) by percentile and mean, and the mean wait for L3 prefetches after
   * that (what the prefetch policy holds a request back for).
   */
  public record Queueing(long p50, long p90, long p99, long mean, long prefetchWaitMean) {}

  public long cachedTokens() {
    return deviceHitTokens + hostHitTokens + storageHitTokens;
  }

  public double storageHitRatio() {
    return ratio(storageHitTokens);
  }

  public long computedTokens() {
    return promptTokens - cachedTokens();
  }

  public double hitRatio() {
    return ratio(cachedTokens());
  }

  public double deviceHitRatio() {
    return ratio(deviceHitTokens);
  }

  public double hostHitRatio() {
    return ratio(hostHitTokens);
  }

  private double ratio(long tokens) {
    return promptTokens == 0 ? 0 : (double) tokens / promptTokens;
  }

  /**
   * Page events per second of replay wall time: full prompt pages looked up ({@link
   * #pageReferences()}, the sum of floor(prompt / page size), as the L1-only replay counts them)
   * per second; 0 when unknown.
   */
  public double pageEventsPerSecond() {
    return pageReferences <= 0 || wallNanos <= 0 ? 0 : pageReferences / (wallNanos / 1e9);
  }

  public double wallSeconds() {
    return wallNanos / 1e9;
  }
}
