package dev.hicache.api.events;

/**
 * Receives a cache's {@link KvEvent}s, one at a time and in {@link KvEvent#sequence()} order, on
 * a thread of the cache's own (never the scheduler thread), at most about the cache's KV event
 * hand-over age after they were published (that thread takes them in batches;
 * docs/observability.md#kv-events). The cache hands
 * events over through bounded storage and never waits for the listener: when it is full, events are dropped and
 * counted (metric {@code hicache_kv_events_dropped}), and the next delivered event's sequence
 * shows the gap. A listener that throws loses that event only.
 */
@FunctionalInterface
public interface KvEventListener {
  void onEvent(KvEvent event);
}
