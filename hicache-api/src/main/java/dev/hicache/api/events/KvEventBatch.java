package dev.hicache.api.events;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;

/**
 * Consecutive {@link KvEvent}s of one cache, as a read-only view of the engine's own storage: no
 * object per event, no list per event's page keys (docs/observability.md#kv-events). Event {@code i}
 * ({@code 0 <= i < size()}) has the fields of the {@link KvEvent} that {@link #event(int)} builds:
 * its {@link #kind}, {@link #sequence}, {@link #tier}, {@link #namespaceSeed}, {@link #parentKey}
 * ({@link Kind#STORED} only) and {@link #pageCount} page keys {@link #pageKey(int, int)}. Sequences
 * ascend through a batch and from one batch to the next; a gap means dropped events.
 *
 * <p>Valid only during the {@link KvEventBatchListener#onBatch} call it is handed to: the engine
 * reuses the storage afterwards. A listener that keeps events copies what it needs ({@link
 * #event(int)} makes an independent {@link KvEvent}).
 */
public interface KvEventBatch {
  /** What an event says: the {@link KvEvent} type it stands for. */
  enum Kind {
    /** {@link KvEvent.BlockStored}: the pages joined the tier. */
    STORED,
    /** {@link KvEvent.BlockRemoved}: the pages left the tier. */
    REMOVED,
    /** {@link KvEvent.AllBlocksCleared}: every page left the tier; no page keys. */
    CLEARED
  }

  /** The number of events in this batch (at least 1). */
  int size();

  long sequence(int i);

  Kind kind(int i);

  Tier tier(int i);

  /** The seed the event's pages' chains start from (docs/behaviour.md#namespaces), or null. */
  PageKey namespaceSeed(int i);

  /** For {@link Kind#STORED}: the key of the page before the first one (null at the start of a sequence); null otherwise. */
  PageKey parentKey(int i);

  /** How many page keys event {@code i} names (0 for {@link Kind#CLEARED}). */
  int pageCount(int i);

  /** The {@code j}-th page key of event {@code i}, in prefix order ({@code 0 <= j < pageCount(i)}). */
  PageKey pageKey(int i, int j);

  /** Event {@code i} as a {@link KvEvent} of its own (allocates; stays valid after the call). */
  KvEvent event(int i);
}
