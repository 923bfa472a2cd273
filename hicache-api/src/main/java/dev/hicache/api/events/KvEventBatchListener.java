package dev.hicache.api.events;

/**
 * Receives a cache's KV events a batch at a time, as a {@link KvEventBatch} view with no object per
 * event: the form for a listener that reads the fields (a router that puts each page key in its
 * index), cheaper than {@link KvEventListener}, which gets a {@link KvEvent} object per event
 * (docs/observability.md#kv-events). The batches come in {@link KvEvent#sequence()} order, on a
 * thread of the cache's own (never the scheduler thread), at most about the cache's KV event
 * hand-over age after they were published; delivery, bounds and drops are those of {@link KvEventListener}. A listener that throws
 * loses the rest of that batch only (counted as one listener error).
 */
@FunctionalInterface
public interface KvEventBatchListener {
  void onBatch(KvEventBatch batch);
}
