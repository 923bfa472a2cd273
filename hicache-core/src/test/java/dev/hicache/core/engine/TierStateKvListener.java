package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.events.KvEvent;
import dev.hicache.api.events.KvEventBatch;
import dev.hicache.api.events.KvEventBatchListener;
import dev.hicache.api.events.KvEventListener;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A router's view of one cache, rebuilt from its KV events only: which page keys each tier holds.
 * Fails (records the first error) on an event that contradicts the view: a page stored twice, a
 * page removed that was not there, a gap in the sequence. Takes either form: events one at a time,
 * or batches read through the {@link KvEventBatch} view's fields.
 */
final class TierStateKvListener implements KvEventListener, KvEventBatchListener {
  private final Map<Tier, Map<PageKey, Integer>> view = new EnumMap<>(Tier.class);
  private long expected;
  private volatile String error;
  long events;

  TierStateKvListener() {
    for (Tier t : Tier.values()) view.put(t, new HashMap<>());
  }

  @Override public synchronized void onEvent(KvEvent e) {
    switch (e) {
      case KvEvent.BlockStored s -> apply(e.sequence(), e.tier(), KvEventBatch.Kind.STORED, s.pageKeys());
      case KvEvent.BlockRemoved r -> apply(e.sequence(), e.tier(), KvEventBatch.Kind.REMOVED, r.pageKeys());
      case KvEvent.AllBlocksCleared c -> apply(e.sequence(), e.tier(), KvEventBatch.Kind.CLEARED, List.of());
    }
  }

  @Override public synchronized void onBatch(KvEventBatch b) {
    for (int i = 0; i < b.size(); i++) {
      List<PageKey> keys = new ArrayList<>();
      for (int j = 0; j < b.pageCount(i); j++) keys.add(b.pageKey(i, j));
      apply(b.sequence(i), b.tier(i), b.kind(i), keys);
    }
  }

  private void apply(long sequence, Tier t, KvEventBatch.Kind kind, List<PageKey> keys) {
    if (error != null) return;
    events++;
    if (sequence != expected) {
      error = "event " + sequence + " after " + (expected - 1);
      return;
    }
    expected++;
    Map<PageKey, Integer> tier = view.get(t);
    switch (kind) {
      case STORED -> {
        for (PageKey k : keys) {
          if (t != Tier.STORAGE && tier.containsKey(k)) error = "stored twice in " + t + ": " + k;
          tier.merge(k, 1, Integer::sum);
        }
      }
      case REMOVED -> {
        for (PageKey k : keys) {
          Integer n = tier.get(k);
          if (n == null) error = "removed from " + t + " but never stored: " + k;
          else if (n == 1) tier.remove(k);
          else tier.put(k, n - 1);
        }
      }
      case CLEARED -> tier.clear();
    }
  }

  /** The view equals what {@code cache} holds on the device and the host now. */
  void assertMatches(HiCache cache) {
    assertThat(cache.awaitKvEvents(30, TimeUnit.SECONDS)).as("KV events delivered").isTrue();
    assertThat(cache.kvEventsDropped()).as("KV events dropped").isZero();
    synchronized (this) {
      assertThat(error).as("KV event stream").isNull();
      for (Tier t : List.of(Tier.DEVICE, Tier.HOST)) {
        assertThat(new ArrayList<>(view.get(t).keySet())).as("pages in " + t + " per the events")
            .containsExactlyInAnyOrderElementsOf(cache.pageKeys(t));
      }
    }
  }

  /** After close: the device and host views are empty. */
  synchronized void assertCleared() {
    assertThat(error).as("KV event stream").isNull();
    assertThat(view.get(Tier.DEVICE)).isEmpty();
    assertThat(view.get(Tier.HOST)).isEmpty();
  }

  synchronized int storagePages() {
    return view.get(Tier.STORAGE).size();
  }
}
