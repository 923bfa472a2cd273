package dev.hicache.api.metrics;

import dev.hicache.api.Tier;

/**
 * Label names and the fixed label values of {@link HiCacheMetric}s. Tier values are {@link
 * Tier#sglangName()} ({@code device}, {@code host}, {@code storage}).
 */
public final class MetricLabels {
  private MetricLabels() {}

  /** Label name: the tier a quantity belongs to. */
  public static final String TIER = "tier";
  /** Label name: the terminal reason of a prefetch. */
  public static final String REASON = "reason";
  /** Label name: the gate that kept a prefetch from starting. */
  public static final String GATE = "gate";
  /** Label name: {@link #READ} or {@link #WRITE}. */
  public static final String DIRECTION = "direction";
  /** Label name: the cache-control hint ({@code pin}, {@code unpin}, {@code prefetch}, {@code demote}). */
  public static final String HINT = "hint";
  /** Label name: the operation or cause of a failure. */
  public static final String CAUSE = "cause";

  /** Direction: L3 → host. */
  public static final String READ = "read";
  /** Direction: host → L3. */
  public static final String WRITE = "write";

  public static final String DEVICE = Tier.DEVICE.sglangName();
  public static final String HOST = Tier.HOST.sglangName();
  public static final String STORAGE = Tier.STORAGE.sglangName();
}
