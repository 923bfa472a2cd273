package dev.hicache.core.storage;

/**
 * Metric names of the storage (L3) half of the controller, in SGLang's vocabulary without the
 * {@code sglang:} prefix (docs/behaviour.md#metrics); ours carry the {@code hicache_} prefix.
 */
public final class StorageMetrics {
  private StorageMetrics() {}

  /** SGLang: tokens newly inserted from L3. */
  public static final String PREFETCHED_TOKENS = "prefetched_tokens";
  /**
   * SGLang: completed tokens per backup ack (0 on MLA ranks other than 0); reported with label
   * {@code storage} (the engine reports its D→H backups as {@code backuped_tokens{host}}).
   */
  public static final String BACKUPED_TOKENS = "backuped_tokens";
  /** SGLang: cached tokens by source; this component reports label {@code storage} at admission. */
  public static final String CACHED_TOKENS = "cached_tokens";
  public static final String STORAGE_LABEL = "storage";
  /** Pages per batch (SGLang's histograms {@code prefetch_pgs} / {@code backup_pgs}). */
  public static final String PREFETCH_PGS = "prefetch_pgs";
  public static final String BACKUP_PGS = "backup_pgs";

  /** Prefetches started (passed the local gates and queried L3). */
  public static final String PREFETCH_STARTED = "hicache_prefetch_started";
  /** Prefetches that reached a final state, by {@link TerminalReason#label()}. */
  public static final String PREFETCH_TERMINATED = "hicache_prefetch_terminated";
  /** Prefetches whose every hit page arrived. */
  public static final String PREFETCH_COMPLETED = "hicache_prefetch_completed";
  /** Prefetches not started, by gate: {@code below_threshold} (request too short), {@code rate_limited}, {@code detached}. */
  public static final String PREFETCH_SKIPPED = "hicache_prefetch_skipped";
  /** The agreed L3 continuous hit, in tokens, summed over prefetches. */
  public static final String L3_HIT_TOKENS = "hicache_l3_hit_tokens";
  /** Pages and bytes moved, label {@code read} (L3→L2) or {@code write} (L2→L3). */
  public static final String L3_PAGES = "hicache_l3_pages";
  public static final String L3_BYTES = "hicache_l3_bytes";
  /** Backup pages not stored (L3 full, failing or detached): a skipped write, never an error. */
  public static final String BACKUP_SKIPPED_PAGES = "hicache_backup_skipped_pages";
  /** Nodes not written to L3 because their parent chain lacks hashes (docs/behaviour.md#where-chains-start). */
  public static final String BACKUP_REFUSED_CHAIN = "hicache_backup_refused_broken_chain";
  /** L3 calls that failed, by operation ({@code query}, {@code read}, {@code write}, {@code remove}). */
  public static final String L3_FAILURES = "hicache_l3_failures";
  /** Pages read from L3 that did not verify. */
  public static final String CHECKSUM_MISMATCH_PAGES = "hicache_l3_checksum_mismatch_pages";
  /** Gauge: host tokens reserved by live prefetches (SGLang's prefetch_tokens_occupied). */
  public static final String PREFETCH_TOKENS_OCCUPIED = "hicache_prefetch_tokens_occupied";
  /** Gauge, 0 or 1: L3 is being written but nothing was ever prefetched (docs/behaviour.md#prefetch-accounting). */
  public static final String WRITE_WITHOUT_READ_ALARM = "hicache_l3_write_without_read_alarm";
  /** Consensus ticks run (one vector all-reduce each). */
  public static final String CONSENSUS_TICKS = "hicache_tp_consensus_ticks";
}
