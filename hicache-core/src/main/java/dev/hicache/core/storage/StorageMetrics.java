package dev.hicache.core.storage;

import dev.hicache.api.metrics.TerminalReason;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.metrics.MetricLabels;

/**
 * Short names for the storage (L3) half of the controller's metrics; every name is defined once,
 * in {@link HiCacheMetric} (docs/observability.md#metrics).
 */
public final class StorageMetrics {
  private StorageMetrics() {}

  /** SGLang: tokens newly inserted from L3. */
  public static final String PREFETCHED_TOKENS = HiCacheMetric.PREFETCHED_TOKENS.key();
  /**
   * SGLang: completed tokens per backup ack (0 on MLA ranks other than 0); reported with label
   * {@code storage} (the engine reports its D→H backups as {@code backuped_tokens{host}}).
   */
  public static final String BACKUPED_TOKENS = HiCacheMetric.BACKUPED_TOKENS.key();
  /** SGLang: cached tokens by source; this component reports label {@code storage} at admission. */
  public static final String CACHED_TOKENS = HiCacheMetric.CACHED_TOKENS.key();
  public static final String STORAGE_LABEL = MetricLabels.STORAGE;
  /** Pages per batch (SGLang's histograms {@code prefetch_pgs} / {@code backup_pgs}). */
  public static final String PREFETCH_PGS = HiCacheMetric.PREFETCH_PGS.key();
  public static final String BACKUP_PGS = HiCacheMetric.BACKUP_PGS.key();

  /** Prefetches started (passed the local gates and queried L3). */
  public static final String PREFETCH_STARTED = HiCacheMetric.PREFETCH_STARTED.key();
  /** Prefetches that reached a final state, by {@link TerminalReason#label()}. */
  public static final String PREFETCH_TERMINATED = HiCacheMetric.PREFETCH_TERMINATED.key();
  /** Prefetches whose every hit page arrived. */
  public static final String PREFETCH_COMPLETED = HiCacheMetric.PREFETCH_COMPLETED.key();
  /** Prefetches not started, by gate: {@code below_threshold} (request too short), {@code rate_limited}, {@code detached}. */
  public static final String PREFETCH_SKIPPED = HiCacheMetric.PREFETCH_SKIPPED.key();
  /** The agreed L3 continuous hit, in tokens, summed over prefetches. */
  public static final String L3_HIT_TOKENS = HiCacheMetric.L3_HIT_TOKENS.key();
  /** Pages and bytes moved, label {@code read} (L3→L2) or {@code write} (L2→L3). */
  public static final String L3_PAGES = HiCacheMetric.L3_PAGES.key();
  public static final String L3_BYTES = HiCacheMetric.L3_BYTES.key();
  /** Backup pages not stored (L3 full, failing or detached): a skipped write, never an error. */
  public static final String BACKUP_SKIPPED_PAGES = HiCacheMetric.BACKUP_SKIPPED_PAGES.key();
  /** Nodes not written to L3 because their parent chain lacks hashes (docs/behaviour.md#where-chains-start). */
  public static final String BACKUP_REFUSED_CHAIN = HiCacheMetric.BACKUP_REFUSED_CHAIN.key();
  /** L3 calls that failed, by operation ({@code query}, {@code read}, {@code write}, {@code remove}). */
  public static final String L3_FAILURES = HiCacheMetric.L3_FAILURES.key();
  /** Pages read from L3 that did not verify. */
  public static final String CHECKSUM_MISMATCH_PAGES = HiCacheMetric.CHECKSUM_MISMATCH_PAGES.key();
  /** Gauge: host tokens reserved by live prefetches (SGLang's prefetch_tokens_occupied). */
  public static final String PREFETCH_TOKENS_OCCUPIED = HiCacheMetric.PREFETCH_TOKENS_OCCUPIED.key();
  /** Gauge, 0 or 1: L3 is being written but nothing was ever prefetched (docs/behaviour.md#prefetch-accounting). */
  public static final String WRITE_WITHOUT_READ_ALARM = HiCacheMetric.WRITE_WITHOUT_READ_ALARM.key();
  /** Consensus ticks run (one vector all-reduce each). */
  public static final String CONSENSUS_TICKS = HiCacheMetric.CONSENSUS_TICKS.key();
}
