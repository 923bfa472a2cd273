package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.events.KvEvent;
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
 * page removed that was not there, a gap in the sequence.
 */
final class TierStateKvListener implements KvEventListener {
  private final Map<Tier, Map<PageKey, Integer>> view = new EnumMap<>(Tier.class);
  private long expected;
  private volatile String error;
  long events;

  TierStateKvListener() {
    for (Tier t : Tier.values()) view.put(t, new HashMap<>());
  }

  @Override public synchronized void onEvent(KvEvent e) {
    if (error != null) return;
    events++;
    if (e.sequence() != expected) {
      error = "event " + e.sequence() + " after " + (expected - 1);
      return;
    }
    expected++;
    Map<PageKey, Integer> tier = view.get(e.tier());
    switch (e) {
      case KvEvent.BlockStored s -> {
        for (PageKey k : s.pageKeys()) {
          if (e.tier() != Tier.STORAGE && tier.containsKey(k)) error = "stored twice in " + e.tier() + ": " + k;
          tier.merge(k, 1, Integer::sum);
        }
      }
      case KvEvent.BlockRemoved r -> {
        for (PageKey k : r.pageKeys()) {
          Integer n = tier.get(k);
          if (n == null) error = "removed from " + e.tier() + " but never stored: " + k;
          else if (n == 1) tier.remove(k);
          else tier.put(k, n - 1);
        }
      }
      case KvEvent.AllBlocksCleared c -> tier.clear();
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
