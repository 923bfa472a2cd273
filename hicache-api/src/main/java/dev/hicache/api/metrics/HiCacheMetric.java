package dev.hicache.api.metrics;

import java.util.HashMap;
import java.util.Map;

/**
 * Every metric HiCache reports through {@link dev.hicache.api.spi.MetricsSink}, in one place: its
 * key (what the sink is called with, and what {@code InMemoryMetrics} and the simulator read), its
 * kind, its unit and the name of its label, if it has one. The keys keep SGLang's names where
 * SGLang has the metric (without its {@code sglang:} prefix); the exported name ({@link
 * #exportName()}) carries the {@code hicache_} prefix on every metric. docs/observability.md lists
 * them all.
 *
 * <p>Callers pass {@link #key()}: the same String instance every time, which {@code
 * InMemoryMetrics} uses for its fast path.
 */
public enum HiCacheMetric {
  // ---- requests (per admission)
  /** Prompt tokens matched at admission. */
  PROMPT_TOKENS("prompt_tokens", Kind.COUNTER, Unit.TOKENS, null),
  /** Cached tokens of admitted requests by the tier they came from: {@code device}, {@code host}, {@code storage}. */
  CACHED_TOKENS("cached_tokens", Kind.COUNTER, Unit.TOKENS, MetricLabels.TIER),

  // ---- device ⇄ host copies
  /** Tokens backed up: {@code host} (device→host acks), {@code storage} (host→L3 acks). */
  BACKUPED_TOKENS("backuped_tokens", Kind.COUNTER, Unit.TOKENS, MetricLabels.TIER),
  /** Bytes copied device→host by backups. */
  BACKUP_BYTES("hicache_backup_bytes", Kind.COUNTER, Unit.BYTES, null),
  BACKUP_FAILED_TOKENS("hicache_backup_failed_tokens", Kind.COUNTER, Unit.TOKENS, null),
  /** Backups not issued (no host memory): a skipped write, never an error. */
  BACKUP_SKIPPED_TOKENS("hicache_backup_skipped_tokens", Kind.COUNTER, Unit.TOKENS, null),
  /** Host pages of an acknowledged backup that could not be written on to L3 (evicted or removed first). */
  L3_BACKUP_UNREACHABLE_PAGES("hicache_l3_backup_unreachable_pages", Kind.COUNTER, Unit.PAGES, null),
  /** Seconds from issuing a device→host backup to its completion. */
  BACKUP_DURATION("hicache_backup_duration_seconds", Kind.DISTRIBUTION, Unit.SECONDS, null),
  LOAD_BACK_TOKENS("load_back_tokens", Kind.COUNTER, Unit.TOKENS, null),
  /** Bytes copied host→device by load-backs. */
  LOAD_BACK_BYTES("load_back_bytes", Kind.COUNTER, Unit.BYTES, null),
  LOAD_BACK_FAILED_TOKENS("load_back_failed_tokens", Kind.COUNTER, Unit.TOKENS, null),
  /** Host pages whose checksum did not verify at load-back. */
  LOAD_BACK_VERIFY_FAILED("load_back_verify_failed_pages", Kind.COUNTER, Unit.PAGES, null),
  LOAD_BACK_NOT_READY("load_back_not_ready_pages", Kind.COUNTER, Unit.PAGES, null),
  /** Tokens evicted because their load-back failed. */
  POISONED_EVICTED_TOKENS("load_back_failed_evicted_tokens", Kind.COUNTER, Unit.TOKENS, null),
  /** Seconds from issuing a host→device load-back to its completion. */
  LOAD_BACK_DURATION("load_back_duration_seconds", Kind.DISTRIBUTION, Unit.SECONDS, null),
  /** Tokens evicted from a tier: {@code device}, {@code host}. */
  EVICTED_TOKENS("evicted_tokens", Kind.COUNTER, Unit.TOKENS, MetricLabels.TIER),
  /** write_back: tokens evicted from the device before their backup could be made. */
  WRITE_BACK_LOST_TOKENS("write_back_lost_tokens", Kind.COUNTER, Unit.TOKENS, null),
  BACKUP_QUEUE_DEPTH("hicache_backup_queue_depth", Kind.GAUGE, Unit.OPERATIONS, null),
  LOAD_QUEUE_DEPTH("hicache_load_queue_depth", Kind.GAUGE, Unit.OPERATIONS, null),
  HOST_USED_TOKENS("hicache_host_used_tokens", Kind.GAUGE, Unit.TOKENS, null),
  HOST_TOTAL_TOKENS("hicache_host_total_tokens", Kind.GAUGE, Unit.TOKENS, null),
  DEVICE_USED_TOKENS("device_used_tokens", Kind.GAUGE, Unit.TOKENS, null),

  // ---- L3 prefetch and backup
  /** Tokens newly inserted from L3. */
  PREFETCHED_TOKENS("prefetched_tokens", Kind.COUNTER, Unit.TOKENS, null),
  /** Pages per L3 read batch (SGLang's histogram {@code prefetch_pgs}). */
  PREFETCH_PGS("prefetch_pgs", Kind.DISTRIBUTION, Unit.PAGES, null),
  /** Pages per L3 write batch (SGLang's histogram {@code backup_pgs}). */
  BACKUP_PGS("backup_pgs", Kind.DISTRIBUTION, Unit.PAGES, null),
  /** Prefetches started (passed the local gates and queried L3). */
  PREFETCH_STARTED("hicache_prefetch_started", Kind.COUNTER, Unit.OPERATIONS, null),
  /** Prefetches that reached a final state, by terminal reason. */
  PREFETCH_TERMINATED("hicache_prefetch_terminated", Kind.COUNTER, Unit.OPERATIONS, MetricLabels.REASON),
  /** Prefetches whose every hit page arrived. */
  PREFETCH_COMPLETED("hicache_prefetch_completed", Kind.COUNTER, Unit.OPERATIONS, null),
  /** Prefetches not started, by gate. */
  PREFETCH_SKIPPED("hicache_prefetch_skipped", Kind.COUNTER, Unit.OPERATIONS, MetricLabels.GATE),
  /** Seconds from a prefetch's start to its end, by terminal reason: what admission waited for. */
  PREFETCH_DURATION("hicache_prefetch_duration_seconds", Kind.DISTRIBUTION, Unit.SECONDS, MetricLabels.REASON),
  /** The agreed L3 continuous hit, summed over prefetches. */
  L3_HIT_TOKENS("hicache_l3_hit_tokens", Kind.COUNTER, Unit.TOKENS, null),
  /** Pages moved, by direction: {@code read} (L3→host) or {@code write} (host→L3). */
  L3_PAGES("hicache_l3_pages", Kind.COUNTER, Unit.PAGES, MetricLabels.DIRECTION),
  /** Bytes moved, by direction: {@code read} or {@code write}. */
  L3_BYTES("hicache_l3_bytes", Kind.COUNTER, Unit.BYTES, MetricLabels.DIRECTION),
  /** Backup pages not stored (L3 full, failing or detached): a skipped write, never an error. */
  BACKUP_SKIPPED_PAGES("hicache_backup_skipped_pages", Kind.COUNTER, Unit.PAGES, null),
  /** Pages of nodes not written to L3 because their parent chain lacks keys. */
  BACKUP_REFUSED_CHAIN("hicache_backup_refused_broken_chain", Kind.COUNTER, Unit.PAGES, null),
  /** L3 calls that failed, by operation or cause. */
  L3_FAILURES("hicache_l3_failures", Kind.COUNTER, Unit.OPERATIONS, MetricLabels.CAUSE),
  /** Pages read from L3 that did not verify. */
  CHECKSUM_MISMATCH_PAGES("hicache_l3_checksum_mismatch_pages", Kind.COUNTER, Unit.PAGES, null),
  /**
   * Pages that did not verify and stayed in L3 because a reader held them (the store answered
   * "in use" to their removal); each is a miss again when next read, which tries the removal again.
   */
  CHECKSUM_MISMATCH_KEPT_PAGES("hicache_l3_checksum_mismatch_kept_pages", Kind.COUNTER, Unit.PAGES, null),
  /** Host tokens reserved by live prefetches (SGLang's prefetch_tokens_occupied). */
  PREFETCH_TOKENS_OCCUPIED("hicache_prefetch_tokens_occupied", Kind.GAUGE, Unit.TOKENS, null),
  /** 0 or 1: L3 is being written but nothing was ever prefetched. */
  WRITE_WITHOUT_READ_ALARM("hicache_l3_write_without_read_alarm", Kind.GAUGE, Unit.BOOLEAN, null),
  /** 0 or 1: the fault-tolerant L3 wrapper has its store attached. */
  L3_ATTACHED("hicache_l3_attached", Kind.GAUGE, Unit.BOOLEAN, null),
  /** Consensus ticks run (one vector all-reduce each). */
  CONSENSUS_TICKS("hicache_tp_consensus_ticks", Kind.COUNTER, Unit.OPERATIONS, null),

  // ---- cache control (docs/engine-integration.md#cache-control)
  /** Hints given through {@code HiCache}, by hint: {@code pin}, {@code unpin}, {@code prefetch}, {@code demote}. */
  HINTS("hicache_hints", Kind.COUNTER, Unit.OPERATIONS, MetricLabels.HINT),
  /**
   * Pages a hint acted on, by hint: pinned, unpinned, asked of L3 ({@code prefetch}), or moved off
   * the device ({@code demote}, counted when they leave, also after a backup the demote waited for).
   */
  HINT_PAGES("hicache_hint_pages", Kind.COUNTER, Unit.PAGES, MetricLabels.HINT),
  /** Hints that did not apply in full (a no-op or a part), by reason. */
  HINTS_NOT_APPLIED("hicache_hints_not_applied", Kind.COUNTER, Unit.OPERATIONS, MetricLabels.REASON),
  /** Pages pins hold in a tier: {@code device}, {@code host}. */
  PINNED_PAGES("hicache_pinned_pages", Kind.GAUGE, Unit.PAGES, MetricLabels.TIER),
  /** Pins that ended, by reason: {@code expired}, {@code unpinned}, {@code yielded} (to a request that needed the room). */
  PINS_ENDED("hicache_pins_ended", Kind.COUNTER, Unit.OPERATIONS, MetricLabels.REASON),
  /** Tokens prefetch hints brought from L3 into the host tier. */
  HINT_PREFETCHED_TOKENS("hicache_hint_prefetched_tokens", Kind.COUNTER, Unit.TOKENS, null),

  // ---- observability itself
  /** KV events not handed to the listener because its queue was full. */
  KV_EVENTS_DROPPED("hicache_kv_events_dropped", Kind.COUNTER, Unit.EVENTS, null),

  // ---- L3 backends (the tier modules)
  /** Pages an L3 store dropped to make room. */
  L3_EVICTIONS("l3_evictions", Kind.COUNTER, Unit.PAGES, null),
  /** Pages an L3 store failed to read, by cause. */
  L3_READ_FAILURES("l3_read_failures", Kind.COUNTER, Unit.PAGES, MetricLabels.CAUSE),
  /** Pages an L3 store did not write, by cause. */
  L3_WRITE_SKIPPED("l3_write_skipped", Kind.COUNTER, Unit.PAGES, MetricLabels.CAUSE),
  /** Pages an L3 store failed to write, by cause. */
  L3_WRITE_FAILURES("l3_write_failures", Kind.COUNTER, Unit.PAGES, MetricLabels.CAUSE),
  /** Existence checks an L3 store answered with an error, by cause. */
  L3_EXISTS_ERRORS("l3_exists_errors", Kind.COUNTER, Unit.OPERATIONS, MetricLabels.CAUSE),
  /** Removals an L3 store refused because the object was in use. */
  L3_REMOVE_IN_USE("l3_remove_in_use", Kind.COUNTER, Unit.OPERATIONS, null),
  /** Calls an L3 store could not make because its master was unreachable. */
  L3_MASTER_UNREACHABLE("l3_master_unreachable", Kind.COUNTER, Unit.OPERATIONS, null);

  /** How a metric is reported. */
  public enum Kind {
    /** {@code MetricsSink.count}: a monotonic sum. */
    COUNTER,
    /** {@code MetricsSink.gauge}: the last value set. */
    GAUGE,
    /** {@code MetricsSink.observe}: one observation per call. */
    DISTRIBUTION
  }

  /** What one unit of a metric's value is. */
  public enum Unit {
    TOKENS("tokens"), PAGES("pages"), BYTES("bytes"), SECONDS("seconds"), OPERATIONS("operations"),
    EVENTS("events"), BOOLEAN("boolean");

    private final String label;

    Unit(String label) { this.label = label; }

    /** The unit's name as exporters write it. */
    public String label() { return label; }
  }

  private static final Map<String, HiCacheMetric> BY_KEY = new HashMap<>();

  static {
    for (HiCacheMetric m : values()) {
      if (BY_KEY.put(m.key, m) != null) throw new ExceptionInInitializerError("duplicate metric key " + m.key);
    }
  }

  private final String key;
  private final Kind kind;
  private final Unit unit;
  private final String labelName;

  HiCacheMetric(String key, Kind kind, Unit unit, String labelName) {
    this.key = key;
    this.kind = kind;
    this.unit = unit;
    this.labelName = labelName;
  }

  /** The name the engine reports it under (the sink's {@code name} argument). */
  public String key() { return key; }

  public Kind kind() { return kind; }

  public Unit unit() { return unit; }

  /** The name of its label ({@link MetricLabels}), or null when it has none. */
  public String labelName() { return labelName; }

  /** The name exporters give it: the key with the {@code hicache_} prefix on every metric. */
  public String exportName() {
    return key.startsWith("hicache_") ? key : "hicache_" + key;
  }

  /** The metric reported under {@code key}, or null for a name that is not HiCache's. */
  public static HiCacheMetric byKey(String key) {
    return BY_KEY.get(key);
  }
}
