package dev.hicache.api.config;

import dev.hicache.api.MemLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * HiCache configuration under SGLang's flag names and defaults
 * (docs/behaviour.md#configuration-and-corrections), except {@code --page-size}, which defaults to
 * 64 here as HiCache deployments use it.
 *
 * @param pageSize {@code --page-size}
 * @param hicacheRatio {@code --hicache-ratio}: host pool = ratio × device pool tokens
 * @param hicacheSizeGb {@code --hicache-size}: decimal GB per rank; overrides the ratio when > 0
 * @param writePolicy {@code --hicache-write-policy}
 * @param ioBackend {@code --hicache-io-backend}
 * @param memLayout {@code --hicache-mem-layout}
 * @param storageBackend {@code --hicache-storage-backend}; null when there is no L3
 * @param prefetchPolicy {@code --hicache-storage-prefetch-policy}
 * @param radixEvictionPolicy {@code --radix-eviction-policy}
 * @param prefetchThreshold extra-config {@code prefetch_threshold}, tokens
 * @param prefetchTimeoutBaseSeconds extra-config {@code prefetch_timeout_base}
 * @param prefetchTimeoutPerKiTokenSeconds extra-config {@code prefetch_timeout_per_ki_token}
 * @param prefetchTimeoutMaxSeconds extra-config {@code prefetch_timeout_max}; infinity = no cap
 * @param loadBackThreshold smallest host hit (tokens) worth loading back (SGLang: 10)
 * @param sglangCompatible the SGLang-compatible profile: our fixes that change results are off
 *     (docs/behaviour.md#deliberate-differences-from-sglang)
 */
public record HiCacheConfig(
    int pageSize,
    double hicacheRatio,
    double hicacheSizeGb,
    WritePolicyKind writePolicy,
    IoBackend ioBackend,
    MemLayout memLayout,
    String storageBackend,
    PrefetchPolicyKind prefetchPolicy,
    EvictionPolicyKind radixEvictionPolicy,
    int prefetchThreshold,
    double prefetchTimeoutBaseSeconds,
    double prefetchTimeoutPerKiTokenSeconds,
    double prefetchTimeoutMaxSeconds,
    int loadBackThreshold,
    boolean sglangCompatible) {

  public HiCacheConfig {
    if (pageSize < 1) throw new IllegalArgumentException("HiCacheConfig pageSize (SGLang's --page-size) must be >= 1, got " + pageSize);
    if (!(hicacheRatio > 0) || Double.isInfinite(hicacheRatio)) {
      throw new IllegalArgumentException("HiCacheConfig hicacheRatio (SGLang's --hicache-ratio) must be a positive number, got " + hicacheRatio);
    }
    if (!(hicacheSizeGb >= 0) || Double.isInfinite(hicacheSizeGb)) {
      throw new IllegalArgumentException("HiCacheConfig hicacheSizeGb (SGLang's --hicache-size) must be >= 0 (GB per rank), got " + hicacheSizeGb);
    }
    if (writePolicy == null) throw new IllegalArgumentException("HiCacheConfig writePolicy is required");
    if (ioBackend == null) throw new IllegalArgumentException("HiCacheConfig ioBackend is required");
    if (memLayout == null) throw new IllegalArgumentException("HiCacheConfig memLayout is required");
    if (prefetchPolicy == null) throw new IllegalArgumentException("HiCacheConfig prefetchPolicy is required");
    if (radixEvictionPolicy == null) throw new IllegalArgumentException("HiCacheConfig radixEvictionPolicy is required");
    if (prefetchThreshold < 0) throw new IllegalArgumentException("prefetch_threshold must be >= 0, got " + prefetchThreshold);
    if (!(prefetchTimeoutBaseSeconds >= 0)) {
      throw new IllegalArgumentException("prefetch_timeout_base must be >= 0 seconds, got " + prefetchTimeoutBaseSeconds);
    }
    if (!(prefetchTimeoutPerKiTokenSeconds >= 0)) {
      throw new IllegalArgumentException("prefetch_timeout_per_ki_token must be >= 0 seconds, got " + prefetchTimeoutPerKiTokenSeconds);
    }
    if (!(prefetchTimeoutMaxSeconds > 0)) {
      throw new IllegalArgumentException("prefetch_timeout_max must be > 0 seconds, got " + prefetchTimeoutMaxSeconds);
    }
    if (loadBackThreshold < 0) throw new IllegalArgumentException("load-back threshold must be >= 0, got " + loadBackThreshold);
  }

  /** SGLang's defaults (its Oct-2025 values), with 64-token pages. */
  public static HiCacheConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.pageSize = pageSize; b.hicacheRatio = hicacheRatio; b.hicacheSizeGb = hicacheSizeGb;
    b.writePolicy = writePolicy; b.ioBackend = ioBackend; b.memLayout = memLayout;
    b.storageBackend = storageBackend; b.prefetchPolicy = prefetchPolicy;
    b.radixEvictionPolicy = radixEvictionPolicy; b.prefetchThreshold = prefetchThreshold;
    b.prefetchTimeoutBaseSeconds = prefetchTimeoutBaseSeconds;
    b.prefetchTimeoutPerKiTokenSeconds = prefetchTimeoutPerKiTokenSeconds;
    b.prefetchTimeoutMaxSeconds = prefetchTimeoutMaxSeconds;
    b.loadBackThreshold = loadBackThreshold; b.sglangCompatible = sglangCompatible;
    return b;
  }

  /** The prefetch threshold the controller uses: {@code max(prefetch_threshold, page_size)} (docs/behaviour.md#prefetch-trigger). */
  public int effectivePrefetchThreshold() {
    return Math.max(prefetchThreshold, pageSize);
  }

  /**
   * Applies SGLang's automatic corrections (docs/behaviour.md#configuration-and-corrections, in
   * SGLang's order) and returns the effective configuration; each correction adds a warning that
   * says what changed and why.
   */
  public HiCacheConfig resolve(List<String> warnings) {
    Builder b = toBuilder();
    if ("mooncake".equals(storageBackend) && b.memLayout == MemLayout.LAYER_FIRST) {
      MemLayout to = b.ioBackend == IoBackend.DIRECT ? MemLayout.PAGE_FIRST_DIRECT : MemLayout.PAGE_FIRST;
      warnings.add("--hicache-mem-layout layer_first is not supported by the mooncake storage backend; using "
          + to.flagName() + " (io backend " + b.ioBackend.flagName() + ")");
      b.memLayout = to;
    }
    if (b.memLayout == MemLayout.PAGE_FIRST_DIRECT && b.ioBackend == IoBackend.KERNEL) {
      warnings.add("--hicache-mem-layout page_first_direct needs --hicache-io-backend direct; using direct");
      b.ioBackend = IoBackend.DIRECT;
    }
    if (b.ioBackend == IoBackend.DIRECT && b.memLayout == MemLayout.PAGE_FIRST) {
      warnings.add("--hicache-io-backend direct with --hicache-mem-layout page_first; using page_first_direct");
      b.memLayout = MemLayout.PAGE_FIRST_DIRECT;
    }
    return b.build();
  }

  /** Fluent construction with SGLang's defaults. */
  public static final class Builder {
    private int pageSize = 64;
    private double hicacheRatio = 2.0;
    private double hicacheSizeGb = 0;
    private WritePolicyKind writePolicy = WritePolicyKind.WRITE_THROUGH;
    private IoBackend ioBackend = IoBackend.KERNEL;
    private MemLayout memLayout = MemLayout.LAYER_FIRST;
    private String storageBackend = null;
    private PrefetchPolicyKind prefetchPolicy = PrefetchPolicyKind.BEST_EFFORT;
    private EvictionPolicyKind radixEvictionPolicy = EvictionPolicyKind.LRU;
    private int prefetchThreshold = 256;
    private double prefetchTimeoutBaseSeconds = 1.0;
    private double prefetchTimeoutPerKiTokenSeconds = 0.25;
    private double prefetchTimeoutMaxSeconds = Double.POSITIVE_INFINITY;
    private int loadBackThreshold = 10;
    private boolean sglangCompatible = false;

    public Builder pageSize(int v) { pageSize = v; return this; }
    public Builder hicacheRatio(double v) { hicacheRatio = v; return this; }
    public Builder hicacheSizeGb(double v) { hicacheSizeGb = v; return this; }
    public Builder writePolicy(WritePolicyKind v) { writePolicy = v; return this; }
    public Builder ioBackend(IoBackend v) { ioBackend = v; return this; }
    public Builder memLayout(MemLayout v) { memLayout = v; return this; }
    public Builder storageBackend(String v) { storageBackend = v; return this; }
    /**
     * When a queued request whose L3 prefetch is in flight may be admitted. The default is SGLang's
     * {@code best_effort}: admit as soon as the scheduler asks. An engine that enqueues a request
     * and admits it at once (a sequential loop, no batch waiting behind it) then gets no L3 hits at
     * all: the prefetch never lands before the admission. Such an engine wants {@link
     * PrefetchPolicyKind#WAIT_COMPLETE} or {@link PrefetchPolicyKind#TIMEOUT}, polling until {@code
     * readyToAdmit} (the README's engine loop).
     */
    public Builder prefetchPolicy(PrefetchPolicyKind v) { prefetchPolicy = v; return this; }
    /**
     * One of SGLang's eviction policies; a policy of one's own is registered in the core's policy
     * registry and chosen by name on the cache's builder ({@code HiCache.Builder#evictionPolicy}).
     */
    public Builder radixEvictionPolicy(EvictionPolicyKind v) { radixEvictionPolicy = v; return this; }
    public Builder prefetchThreshold(int v) { prefetchThreshold = v; return this; }
    public Builder prefetchTimeoutBaseSeconds(double v) { prefetchTimeoutBaseSeconds = v; return this; }
    public Builder prefetchTimeoutPerKiTokenSeconds(double v) { prefetchTimeoutPerKiTokenSeconds = v; return this; }
    public Builder prefetchTimeoutMaxSeconds(double v) { prefetchTimeoutMaxSeconds = v; return this; }
    public Builder loadBackThreshold(int v) { loadBackThreshold = v; return this; }
    public Builder sglangCompatible(boolean v) { sglangCompatible = v; return this; }

    public HiCacheConfig build() {
      return new HiCacheConfig(pageSize, hicacheRatio, hicacheSizeGb, writePolicy, ioBackend, memLayout,
          storageBackend, prefetchPolicy, radixEvictionPolicy, prefetchThreshold, prefetchTimeoutBaseSeconds,
          prefetchTimeoutPerKiTokenSeconds, prefetchTimeoutMaxSeconds, loadBackThreshold, sglangCompatible);
    }
  }
}
