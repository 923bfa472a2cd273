package dev.hicache.api.config;

/**
 * The host pool's size from {@code --hicache-ratio} / {@code --hicache-size}
 * (docs/behaviour.md#host-pool-size), with SGLang's baseline rules: page alignment by always adding
 * one page, host tokens must exceed device tokens, and the bytes must fit in available memory minus
 * 10 GiB.
 */
public final class HostPoolSizing {
  /** Memory SGLang leaves to the rest of the system. */
  public static final long RESERVED_SYSTEM_BYTES = 10L << 30;

  private HostPoolSizing() {}

  /**
   * The config field that sizes the host pool, with its value ({@code HiCacheConfig hicacheSizeGb
   * 2.0} or {@code HiCacheConfig hicacheRatio 2.0}): what a sizing error names.
   */
  public static String setting(HiCacheConfig config) {
    return config.hicacheSizeGb() > 0 ? "HiCacheConfig hicacheSizeGb " + config.hicacheSizeGb()
        : "HiCacheConfig hicacheRatio " + config.hicacheRatio();
  }

  /**
   * Host pool capacity in tokens.
   *
   * @throws IllegalArgumentException with the flag and value when the host pool would not exceed
   *     the device pool
   */
  public static long hostTokens(HiCacheConfig config, long deviceTokens, long bytesPerToken) {
    if (deviceTokens < 1) throw new IllegalArgumentException("device pool must hold >= 1 token, got " + deviceTokens);
    if (bytesPerToken < 1) throw new IllegalArgumentException("bytes per token must be >= 1, got " + bytesPerToken);
    long size = config.hicacheSizeGb() > 0 ? (long) Math.floor(config.hicacheSizeGb() * 1e9 / bytesPerToken)
        : (long) (deviceTokens * config.hicacheRatio());
    String source = setting(config);
    int page = config.pageSize();
    size = (size / page + 1) * page; // baseline alignment: one extra page, always
    if (size <= deviceTokens) {
      throw new IllegalArgumentException(source + " gives a host pool of " + size
          + " tokens, which must be larger than the device pool (" + deviceTokens + " tokens)");
    }
    return size;
  }

  /**
   * Rejects a host pool that would leave less than 10 GiB of the available memory to the system.
   *
   * @param availableBytes memory available for the pool (e.g. MemAvailable)
   */
  public static void checkFits(long hostBytes, long availableBytes, String flagAndValue) {
    if (hostBytes > availableBytes - RESERVED_SYSTEM_BYTES) {
      throw new IllegalArgumentException(flagAndValue + " needs " + hostBytes + " bytes of host memory, but only "
          + Math.max(0, availableBytes - RESERVED_SYSTEM_BYTES) + " are available (available " + availableBytes
          + " minus 10 GiB kept for the system)");
    }
  }
}
