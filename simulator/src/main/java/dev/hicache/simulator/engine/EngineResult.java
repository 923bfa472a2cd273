package dev.hicache.simulator.engine;

import dev.hicache.simulator.l3.MooncakeL3Model;
import java.util.List;
import java.util.SortedMap;

/**
 * What an engine run measured, grouped by what it is about: hits by tier, TTFT, queueing, bytes per
 * link, evictions, prefetch outcomes, PD decode, the run's span, per group (round) and over time.
 * Token counts are prompt tokens; "saved" prefill = cached tokens.
 *
 * @param workload the workload as its {@code describe()} says it
 * @param groupName what a group is (round, client), or null when the workload has none
 * @param mooncakeL3 what the Mooncake model's pool did during this run ({@code --l3 mooncake}; else null)
 * @param groups per group (round) of the workload
 * @param timeline per interval of arrival time, from the first arrival: prompt tokens, hits by tier,
 *     link bytes, tier occupancy
 */
public record EngineResult(EngineSetup setup, String workload, String groupName, Hits hits, Ttft ttft,
    Queueing queueing, Links links, Evictions evictions, PrefetchOutcomes prefetch, Decode decode,
    MooncakeL3Model.Stats mooncakeL3, Span span, SortedMap<Integer, GroupStats> groups, List<Interval> timeline) {

  /**
   * Hits by tier: device (L1), host (L2, loaded back from host memory), storage (L3, prefetched
   * into the host tier and loaded from there); they add up to the cached tokens.
   *
   * @param uncachedRequests requests too large to cache
   */
  public record Hits(long requests, long promptTokens, long deviceTokens, long hostTokens, long storageTokens,
      long uncachedRequests) {
    public long cachedTokens() {
      return deviceTokens + hostTokens + storageTokens;
    }

    public long computedTokens() {
      return promptTokens - cachedTokens();
    }

    public double ratio() {
      return ratio(cachedTokens());
    }

    public double deviceRatio() {
      return ratio(deviceTokens);
    }

    public double hostRatio() {
      return ratio(hostTokens);
    }

    public double storageRatio() {
      return ratio(storageTokens);
    }

    private double ratio(long tokens) {
      return promptTokens == 0 ? 0 : (double) tokens / promptTokens;
    }
  }

  /**
   * Time to first token, nanoseconds, by bench_multiturn's percentile, and its distribution.
   *
   * @param cdf overall and by the tier that served most of a request's hit (the HTML report's CDF);
   *     null when not collected
   */
  public record Ttft(long p50, long p90, long p99, long mean, TtftCdf cdf) {}

  /**
   * Waiting before prefill, nanoseconds: queue delay (arrival until the instance takes the request
   * up, behind earlier requests) by percentile and mean, and the mean wait for L3 prefetches after
   * that (what the prefetch policy holds a request back for).
   */
  public record Queueing(long p50, long p90, long p99, long mean, long prefetchWaitMean) {}

  /**
   * What crossed each link: PCIe bytes device->host (backups) and host->device (load-backs), L3
   * pages read and written by the prefill instances (bytes are modelled: pages x KV bytes per page).
   *
   * @param sharedL3Transfers L3 reads and writes that shared the link with another (shared link only)
   */
  public record Links(long deviceToHostBytes, long hostToDeviceBytes, long l3ReadPages, long l3WritePages,
      long sharedL3Transfers) {}

  /** Tokens evicted from the device (L1) and the host (L2) tier. */
  public record Evictions(long deviceTokens, long hostTokens) {}

  /**
   * Prefetch outcomes, under their metric keys ({@code hicache_prefetch_terminated{reason}},
   * {@code hicache_prefetch_skipped{gate}}), summed over the instances.
   */
  public record PrefetchOutcomes(SortedMap<String, Long> counters) {
    /** Prefetches that ended for this reason ({@code TerminalReason} label). */
    public long terminated(String reason) {
      return counters.getOrDefault("hicache_prefetch_terminated{" + reason + "}", 0L);
    }

    /** Prefetches this gate kept from starting. */
    public long skipped(String gate) {
      return counters.getOrDefault("hicache_prefetch_skipped{" + gate + "}", 0L);
    }
  }

  /**
   * PD disaggregation's decode side.
   *
   * @param requests requests the decode instances served (0 without PD)
   * @param l3WritePages pages the decode instances offloaded to L3 (PD decode offload)
   */
  public record Decode(long requests, long l3WritePages) {}

  /**
   * The run's span in virtual and wall time.
   *
   * @param virtualNanos when the last request finished, in virtual time
   * @param wallNanos how long the replay took
   * @param pageReferences full prompt pages of all requests (sum of floor(prompt / page size)); 0 = unknown
   */
  public record Span(long virtualNanos, long wallNanos, long pageReferences) {
    /**
     * Page events per second of replay wall time: full prompt pages looked up (as the L1-only
     * replay counts them) per second; 0 when unknown.
     */
    public double pageEventsPerSecond() {
      return pageReferences <= 0 || wallNanos <= 0 ? 0 : pageReferences / (wallNanos / 1e9);
    }

    public double wallSeconds() {
      return wallNanos / 1e9;
    }
  }

  /** One group (round, client) of the workload: its requests, prompt tokens, hits by tier and TTFT sum. */
  public record GroupStats(long requests, long promptTokens, long deviceHitTokens, long hostHitTokens,
      long storageHitTokens, long ttftSumNanos) {
    public long cachedTokens() {
      return deviceHitTokens + hostHitTokens + storageHitTokens;
    }

    public long ttftMeanNanos() {
      return requests == 0 ? 0 : ttftSumNanos / requests;
    }
  }

  /**
   * One interval of the {@link #timeline()}: every interval is as wide as the first two are apart (a
   * long run gets wider ones, never more than {@link EngineReplay#MAX_TIMELINE_BUCKETS}); each
   * request counts in the interval of its arrival. Tier occupancy is sampled as each request
   * completes and summed over the interval's {@code samples}: the L1 (device) and L2 (host) tokens
   * held by all prefill instances together (each instance as of its latest request), and the tokens
   * the shared L3 holds (its pages x page size; 0 without L3).
   *
   * @param startSeconds where the interval starts: seconds after the first arrival
   * @param l2HitTokens loaded back from host memory (not from L3)
   * @param l3HitTokens prefetched from L3
   * @param d2hBytes PCIe device->host (backups); {@code h2dBytes} host->device (load-backs)
   * @param l3ReadBytes modelled L3 bytes read and written (pages x KV bytes per page)
   */
  public record Interval(long startSeconds, long promptTokens, long cachedTokens, long l1HitTokens, long l2HitTokens,
      long l3HitTokens, long d2hBytes, long h2dBytes, long l3ReadBytes, long l3WriteBytes, long samples,
      long l1HeldSum, long l2HeldSum, long l3HeldSum) {
    /** The replay's bucket ({@link Bucket}'s columns) as an interval. */
    static Interval of(long[] b) {
      return new Interval(b[Bucket.START_SECONDS], b[Bucket.PROMPT], b[Bucket.CACHED], b[Bucket.L1_HIT],
          b[Bucket.L2_HIT], b[Bucket.L3_HIT], b[Bucket.D2H_BYTES], b[Bucket.H2D_BYTES], b[Bucket.L3_READ_BYTES],
          b[Bucket.L3_WRITE_BYTES], b[Bucket.SAMPLES], b[Bucket.L1_HELD], b[Bucket.L2_HELD], b[Bucket.L3_HELD]);
    }

    /** This interval and the next as one: the totals added, this one's start. */
    public Interval merge(Interval o) {
      return new Interval(startSeconds, promptTokens + o.promptTokens, cachedTokens + o.cachedTokens,
          l1HitTokens + o.l1HitTokens, l2HitTokens + o.l2HitTokens, l3HitTokens + o.l3HitTokens,
          d2hBytes + o.d2hBytes, h2dBytes + o.h2dBytes, l3ReadBytes + o.l3ReadBytes, l3WriteBytes + o.l3WriteBytes,
          samples + o.samples, l1HeldSum + o.l1HeldSum, l2HeldSum + o.l2HeldSum, l3HeldSum + o.l3HeldSum);
    }
  }

  /**
   * The columns of the replay's running timeline bucket: one bucket per interval of arrival time, counted
   * from the first arrival; every bucket is as wide as the first two are apart (a long run gets
   * wider buckets, never more than {@link EngineReplay#MAX_TIMELINE_BUCKETS}). Each request counts
   * in the bucket of its arrival.
   */
  static final class Bucket {
    private Bucket() {}

    /** Prompt tokens and cached (hit) tokens. */
    static final int PROMPT = 0, CACHED = 1;
    /** PCIe bytes device->host (backups) and host->device (load-backs); modelled L3 bytes read and written. */
    static final int D2H_BYTES = 2, H2D_BYTES = 3, L3_READ_BYTES = 4, L3_WRITE_BYTES = 5;
    /** Where the bucket starts: seconds after the first arrival. */
    static final int START_SECONDS = 6;
    /** Hit tokens by tier: device, host (loaded back, not from L3), storage (prefetched from L3). */
    static final int L1_HIT = 7, L2_HIT = 8, L3_HIT = 9;
    /**
     * Tier occupancy: at each request's completion, the L1 (device) and L2 (host) tokens held by
     * all prefill instances together (each instance as of its latest request), and the tokens the
     * shared L3 holds (its pages x page size; 0 without L3), summed over the bucket's {@code
     * SAMPLES} completions: the mean is {@code L1_HELD / SAMPLES}.
     */
    static final int L1_HELD = 10, L2_HELD = 11, SAMPLES = 12, L3_HELD = 13;
    /** The number of columns. */
    static final int COLUMNS = 14;
  }
}
