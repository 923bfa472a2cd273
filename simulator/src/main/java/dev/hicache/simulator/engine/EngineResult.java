package dev.hicache.simulator.engine;

import java.util.SortedMap;
import dev.hicache.simulator.l3.MooncakeL3Model;

/**
 * Totals of an engine run. Token counts are prompt tokens; "saved" prefill = cached tokens. Hits by
 * tier: device (L1), host (L2, loaded back from host memory), storage (L3, prefetched into the host
 * tier and loaded from there); they add up to the cached tokens.
 *
 * @param groups per group (round): {requests, prompt tokens, device hits, host hits, TTFT sum ns, storage hits}
 * @param timeline per minute of arrival time: {prompt tokens, cached tokens, D->H bytes, H->D bytes}
 * @param decodedRequests requests the PD decode instances served (0 without PD)
 * @param decodeL3WritePages pages the decode instances offloaded to L3 (PD decode offload)
 * @param sharedL3Transfers L3 reads and writes that shared the link with another (shared link only)
 * @param queueing how long requests waited before their prefill could start
 * @param mooncakeL3 what the Mooncake model's pool did during this run ({@code --l3 mooncake}; else null)
 * @param pageReferences full prompt pages of all requests (sum of floor(prompt / page size)); 0 = unknown
 */
public record EngineResult(EngineSetup setup, String workload, String groupName, long requests, long promptTokens,
    long deviceHitTokens, long hostHitTokens, long storageHitTokens, long uncachedRequests, long deviceToHostBytes,
    long hostToDeviceBytes, long evictedDeviceTokens, long evictedHostTokens, long l3ReadPages, long l3WritePages,
    java.util.SortedMap<String, Long> prefetchOutcomes, long ttftP50, long ttftP90, long ttftP99, long ttftMean,
    long virtualNanos, SortedMap<Integer, long[]> groups, java.util.List<long[]> timeline, long wallNanos,
    long decodedRequests, long decodeL3WritePages, long sharedL3Transfers, Queueing queueing,
    MooncakeL3Model.Stats mooncakeL3, long pageReferences) {

  /** Without the count of page references (0: unknown; no page events per second in the report). */
  public EngineResult(EngineSetup setup, String workload, String groupName, long requests, long promptTokens,
      long deviceHitTokens, long hostHitTokens, long storageHitTokens, long uncachedRequests, long deviceToHostBytes,
      long hostToDeviceBytes, long evictedDeviceTokens, long evictedHostTokens, long l3ReadPages, long l3WritePages,
      java.util.SortedMap<String, Long> prefetchOutcomes, long ttftP50, long ttftP90, long ttftP99, long ttftMean,
      long virtualNanos, SortedMap<Integer, long[]> groups, java.util.List<long[]> timeline, long wallNanos,
      long decodedRequests, long decodeL3WritePages, long sharedL3Transfers, Queueing queueing,
      MooncakeL3Model.Stats mooncakeL3) {
    this(setup, workload, groupName, requests, promptTokens, deviceHitTokens, hostHitTokens, storageHitTokens,
        uncachedRequests, deviceToHostBytes, hostToDeviceBytes, evictedDeviceTokens, evictedHostTokens, l3ReadPages,
        l3WritePages, prefetchOutcomes, ttftP50, ttftP90, ttftP99, ttftMean, virtualNanos, groups, timeline, wallNanos,
        decodedRequests, decodeL3WritePages, sharedL3Transfers, queueing, mooncakeL3, 0);
  }

  /** Without the Mooncake model (any other L3 backend). */
  public EngineResult(EngineSetup setup, String workload, String groupName, long requests, long promptTokens,
      long deviceHitTokens, long hostHitTokens, long storageHitTokens, long uncachedRequests, long deviceToHostBytes,
      long hostToDeviceBytes, long evictedDeviceTokens, long evictedHostTokens, long l3ReadPages, long l3WritePages,
      java.util.SortedMap<String, Long> prefetchOutcomes, long ttftP50, long ttftP90, long ttftP99, long ttftMean,
      long virtualNanos, SortedMap<Integer, long[]> groups, java.util.List<long[]> timeline, long wallNanos,
      long decodedRequests, long decodeL3WritePages, long sharedL3Transfers, Queueing queueing) {
    this(setup, workload, groupName, requests, promptTokens, deviceHitTokens, hostHitTokens, storageHitTokens,
        uncachedRequests, deviceToHostBytes, hostToDeviceBytes, evictedDeviceTokens, evictedHostTokens, l3ReadPages,
        l3WritePages, prefetchOutcomes, ttftP50, ttftP90, ttftP99, ttftMean, virtualNanos, groups, timeline, wallNanos,
        decodedRequests, decodeL3WritePages, sharedL3Transfers, queueing, null);
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
