package dev.hicache.core.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.events.KvEvent;
import dev.hicache.api.events.KvEventBatch;
import dev.hicache.api.events.KvEventBatchListener;
import dev.hicache.api.spi.MetricsSink;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hand-over of KV events through a ring (docs/observability.md#kv-events): order and content
 * across takes and chunks, counted drops when the ring is full (never waiting), delivery once the
 * hand-over age passes, when the ring is half full, on close, and past a throwing listener; the same
 * for the batch form, read through its fields; and
 * the consumer threads: one per live publisher, reused after close. The timeouts only guard against
 * a hang; no test asserts a time.
 */
@Timeout(60)
class KvEventPublisherTest {
  /** A listener that records what it is handed (a test double). */
  static final class RecordingListenerDouble implements dev.hicache.api.events.KvEventListener {
    final List<KvEvent> events = new ArrayList<>();
    final CountDownLatch release;

    RecordingListenerDouble(CountDownLatch release) { this.release = release; }

    @Override public void onEvent(KvEvent e) {
      try {
        release.await();
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
      synchronized (this) { events.add(e); }
    }

    synchronized List<KvEvent> events() { return List.copyOf(events); }
  }

  /** Counts {@code hicache_kv_events_dropped} (a test double; scheduler thread only, as the publisher's counts). */
  static final class CountingSinkDouble implements MetricsSink {
    long dropped;

    @Override public void count(String name, String label, long delta) {
      if (name.equals(dev.hicache.api.metrics.HiCacheMetric.KV_EVENTS_DROPPED.key())) dropped += delta;
    }

    @Override public void gauge(String name, String label, long value) {}

    @Override public void observe(String name, String label, double value) {}
  }

  /**
   * Records each batch's events as {@link KvEvent}s built from the view's fields, not from {@link
   * KvEventBatch#event} (a test double).
   */
  static final class RecordingBatchListenerDouble implements KvEventBatchListener {
    final List<KvEvent> events = new ArrayList<>();
    final List<Thread> threads = new ArrayList<>();
    final CountDownLatch release;

    RecordingBatchListenerDouble(CountDownLatch release) { this.release = release; }

    @Override public void onBatch(KvEventBatch b) {
      try {
        release.await();
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
      List<KvEvent> got = new ArrayList<>();
      for (int i = 0; i < b.size(); i++) {
        List<PageKey> keys = new ArrayList<>();
        for (int j = 0; j < b.pageCount(i); j++) keys.add(b.pageKey(i, j));
        got.add(switch (b.kind(i)) {
          case STORED -> new KvEvent.BlockStored(b.sequence(i), b.tier(i), b.namespaceSeed(i), b.parentKey(i), keys);
          case REMOVED -> new KvEvent.BlockRemoved(b.sequence(i), b.tier(i), b.namespaceSeed(i), keys);
          case CLEARED -> new KvEvent.AllBlocksCleared(b.sequence(i), b.tier(i), b.namespaceSeed(i));
        });
        if (b.kind(i) != KvEventBatch.Kind.STORED) assertThat(b.parentKey(i)).isNull();
        assertThat(b.event(i)).isEqualTo(got.getLast());
      }
      synchronized (this) {
        events.addAll(got);
        threads.add(Thread.currentThread());
      }
    }

    synchronized List<KvEvent> events() { return List.copyOf(events); }

    synchronized List<Thread> threads() { return List.copyOf(threads); }
  }

  private static PageKey key(int i) {
    return PageKey.fromHex("%064x".formatted(i + 1));
  }

  private static PageKey[] keys(int from, int n) {
    PageKey[] k = new PageKey[n];
    for (int i = 0; i < n; i++) k[i] = key(from + i);
    return k;
  }

  @Test void eventsArriveInOrder_acrossBatches_withOnlyTheCountedKeys() {
    RecordingListenerDouble l = new RecordingListenerDouble(new CountDownLatch(0));
    int n = 5 * KvEventPublisher.CHUNK_EVENTS + 17;
    try (KvEventPublisher p = new KvEventPublisher(l, 65_536, key(-1), MetricsSink.NONE)) {
      for (int i = 0; i < n; i++) {
        PageKey[] k = keys(i, 3);
        switch (i % 3) {
          case 0 -> p.stored(Tier.DEVICE, key(i), k, 2);
          case 1 -> p.removed(Tier.HOST, key(7), k, 3);
          default -> p.cleared(Tier.STORAGE);
        }
        // Takes at arbitrary points, some inside a chunk, as well as the consumer's own.
        if (i % 50 == 0) p.flush();
      }
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.dropped()).isZero();
    }
    List<KvEvent> got = l.events();
    assertThat(got).hasSize(n);
    for (int i = 0; i < n; i++) {
      KvEvent e = got.get(i);
      assertThat(e.sequence()).isEqualTo(i);
      switch (i % 3) {
        case 0 -> assertThat(e).isEqualTo(new KvEvent.BlockStored(i, Tier.DEVICE, key(-1), key(i), List.of(key(i), key(i + 1))));
        case 1 -> assertThat(e).isEqualTo(new KvEvent.BlockRemoved(i, Tier.HOST, key(7), Arrays.asList(keys(i, 3))));
        default -> assertThat(e).isEqualTo(new KvEvent.AllBlocksCleared(i, Tier.STORAGE, key(-1)));
      }
    }
  }

  @Test void withNoBatchFree_eventsAreDroppedAndCounted_withoutWaiting_andTheSequenceShowsTheGap() {
    CountDownLatch release = new CountDownLatch(1);
    RecordingListenerDouble l = new RecordingListenerDouble(release);
    CountingSinkDouble sink = new CountingSinkDouble();
    try (KvEventPublisher p = new KvEventPublisher(l, 4, null, sink)) {
      // The ring holds four; the listener holds what the consumer took of them; six more find it full.
      for (int i = 0; i < 10; i++) p.stored(Tier.DEVICE, null, keys(i, 1), 1);
      assertThat(p.published()).isEqualTo(10);
      assertThat(p.dropped()).isEqualTo(6);
      assertThat(sink.dropped).isEqualTo(6);
      release.countDown();
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
      p.stored(Tier.DEVICE, null, keys(10, 1), 1);
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(l.events()).extracting(KvEvent::sequence).containsExactly(0L, 1L, 2L, 3L, 10L);
  }

  /** The ring has room for every live event even at the largest capacity (its size computed without wrapping). */
  @Test void theLargestCapacity_keepsEveryPendingEvent() {
    CountDownLatch release = new CountDownLatch(1);
    RecordingListenerDouble l = new RecordingListenerDouble(release);
    int n = 3 * KvEventPublisher.CHUNK_EVENTS;
    try (KvEventPublisher p = new KvEventPublisher(l, Integer.MAX_VALUE, null, MetricsSink.NONE)) {
      // The listener holds the first take: the rest stays pending in the ring, across chunks.
      for (int i = 0; i < n; i++) p.stored(Tier.HOST, null, keys(i, 1), 1);
      release.countDown();
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.dropped()).isZero();
    }
    List<KvEvent> got = l.events();
    assertThat(got).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(got.get(i)).isEqualTo(new KvEvent.BlockStored(i, Tier.HOST, null, null, List.of(key(i))));
    }
  }

  @Test void anEvent_isTakenOnceTheHandOverAgePasses_withoutAFlush() throws InterruptedException {
    RecordingListenerDouble l = new RecordingListenerDouble(new CountDownLatch(0));
    try (KvEventPublisher p = new KvEventPublisher(l, 1024, null, MetricsSink.NONE)) {
      p.cleared(Tier.DEVICE);
      p.cleared(Tier.HOST);
      // No flush, no awaitDelivered, the ring far from half full: only the consumer's own timing
      // can take the events.
      while (p.delivered() < 2) Thread.sleep(1);
      assertThat(l.events()).extracting(KvEvent::sequence).containsExactly(0L, 1L);
    }
  }

  @Test void aHalfFullRing_isTakenWithoutWaitingForTheAge() throws InterruptedException {
    RecordingBatchListenerDouble l = new RecordingBatchListenerDouble(new CountDownLatch(0));
    // An age no test outlives: only the half-full ring can have the events taken before close.
    try (KvEventPublisher p = KvEventPublisher.ofBatches(l, 8, null, MetricsSink.NONE, TimeUnit.HOURS.toNanos(1))) {
      for (int i = 0; i < 4; i++) p.cleared(Tier.DEVICE);
      while (p.delivered() < 4) Thread.sleep(1);
      assertThat(l.events()).extracting(KvEvent::sequence).containsExactly(0L, 1L, 2L, 3L);
      assertThat(p.dropped()).isZero();
    }
  }

  @Test void close_deliversTheBatchStillBeingFilled() {
    RecordingListenerDouble l = new RecordingListenerDouble(new CountDownLatch(0));
    KvEventPublisher p = new KvEventPublisher(l, 1024, null, MetricsSink.NONE);
    p.stored(Tier.HOST, null, keys(0, 2), 2);
    p.cleared(Tier.HOST);
    p.close();
    assertThat(l.events()).extracting(KvEvent::sequence).containsExactly(0L, 1L);
  }

  @Test void aListenerThatThrows_losesThatEventOnly() {
    List<Long> seen = new ArrayList<>();
    try (KvEventPublisher p = new KvEventPublisher(e -> {
      if (e.sequence() == 1) throw new IllegalStateException("listener fails on purpose");
      synchronized (seen) { seen.add(e.sequence()); }
    }, 16, null, MetricsSink.NONE)) {
      for (int i = 0; i < 3; i++) p.cleared(Tier.DEVICE);
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.listenerErrors()).isEqualTo(1);
    }
    synchronized (seen) { assertThat(seen).containsExactly(0L, 2L); }
  }

  @Test void batchForm_eachEventsFields_inOrder_acrossBatches_withOnlyTheCountedKeys() {
    RecordingBatchListenerDouble l = new RecordingBatchListenerDouble(new CountDownLatch(0));
    int n = 3 * KvEventPublisher.CHUNK_EVENTS + 5;
    try (KvEventPublisher p = KvEventPublisher.ofBatches(l, 65_536, key(-1), MetricsSink.NONE)) {
      for (int i = 0; i < n; i++) {
        PageKey[] k = keys(i, 3);
        switch (i % 3) {
          case 0 -> p.stored(Tier.DEVICE, key(i), k, 2);
          case 1 -> p.removed(Tier.HOST, key(7), k, 3);
          default -> p.cleared(Tier.STORAGE);
        }
        if (i % 50 == 0) p.flush();
      }
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
    }
    List<KvEvent> got = l.events();
    assertThat(got).hasSize(n);
    for (int i = 0; i < n; i++) {
      switch (i % 3) {
        case 0 -> assertThat(got.get(i)).isEqualTo(new KvEvent.BlockStored(i, Tier.DEVICE, key(-1), key(i), List.of(key(i), key(i + 1))));
        case 1 -> assertThat(got.get(i)).isEqualTo(new KvEvent.BlockRemoved(i, Tier.HOST, key(7), Arrays.asList(keys(i, 3))));
        default -> assertThat(got.get(i)).isEqualTo(new KvEvent.AllBlocksCleared(i, Tier.STORAGE, key(-1)));
      }
    }
  }

  /** A slot's key array may be longer than its event's keys: the view must not hand out the rest. */
  @Test void batchForm_aPageKeyPastTheEventsCount_isOutOfBounds() {
    List<Throwable> thrown = new ArrayList<>();
    try (KvEventPublisher p = KvEventPublisher.ofBatches(b -> {
      synchronized (thrown) {
        for (int[] at : new int[][] {{0, 2}, {0, -1}, {1, 0}}) {
          try {
            b.pageKey(at[0], at[1]);
          } catch (IndexOutOfBoundsException ex) {
            thrown.add(ex);
          }
        }
        try {
          b.kind(b.size());
        } catch (IndexOutOfBoundsException ex) {
          thrown.add(ex);
        }
      }
    }, 16, null, MetricsSink.NONE)) {
      p.stored(Tier.DEVICE, null, keys(0, 3), 2);
      p.cleared(Tier.DEVICE);
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
    }
    synchronized (thrown) { assertThat(thrown).hasSize(4); }
  }

  @Test void batchForm_withNoBatchFree_eventsAreDroppedAndCounted_withoutWaiting_andTheSequenceShowsTheGap() {
    CountDownLatch release = new CountDownLatch(1);
    RecordingBatchListenerDouble l = new RecordingBatchListenerDouble(release);
    CountingSinkDouble sink = new CountingSinkDouble();
    try (KvEventPublisher p = KvEventPublisher.ofBatches(l, 4, null, sink)) {
      for (int i = 0; i < 10; i++) p.stored(Tier.DEVICE, null, keys(i, 1), 1);
      assertThat(p.dropped()).isEqualTo(6);
      assertThat(sink.dropped).isEqualTo(6);
      release.countDown();
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
      p.stored(Tier.DEVICE, null, keys(10, 1), 1);
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(l.events()).extracting(KvEvent::sequence).containsExactly(0L, 1L, 2L, 3L, 10L);
  }

  @Test void aBatchListenerThatThrows_losesThatBatchOnly() {
    List<Long> seen = new ArrayList<>();
    // An age no test outlives: the three events are taken together, by awaitDelivered.
    try (KvEventPublisher p = KvEventPublisher.ofBatches(b -> {
      if (b.sequence(0) == 0) throw new IllegalStateException("listener fails on purpose");
      synchronized (seen) {
        for (int i = 0; i < b.size(); i++) seen.add(b.sequence(i));
      }
    }, 64, null, MetricsSink.NONE, TimeUnit.HOURS.toNanos(1))) {
      for (int i = 0; i < 3; i++) p.cleared(Tier.DEVICE);
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
      p.cleared(Tier.HOST);
      assertThat(p.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.listenerErrors()).isEqualTo(1);
    }
    synchronized (seen) { assertThat(seen).containsExactly(3L); }
  }

  /** A publisher built after another one closed takes that one's consumer thread: no thread started per cache. */
  @Test void aClosedPublishersConsumerThread_servesTheNextPublisher() {
    RecordingBatchListenerDouble first = new RecordingBatchListenerDouble(new CountDownLatch(0));
    try (KvEventPublisher p = KvEventPublisher.ofBatches(first, 16, null, MetricsSink.NONE)) {
      p.cleared(Tier.DEVICE);
    }
    RecordingBatchListenerDouble second = new RecordingBatchListenerDouble(new CountDownLatch(0));
    try (KvEventPublisher p = KvEventPublisher.ofBatches(second, 16, null, MetricsSink.NONE)) {
      p.cleared(Tier.DEVICE);
    }
    assertThat(first.threads()).hasSize(1);
    assertThat(second.threads()).containsExactlyElementsOf(first.threads());
    assertThat(first.threads().getFirst().getName()).startsWith("hicache-kv-events-");
  }

  /** Each live publisher has a consumer of its own: one listener that blocks holds up only its own events. */
  @Test void aBlockedListener_delaysOnlyItsOwnPublishersEvents() {
    CountDownLatch release = new CountDownLatch(1);
    RecordingBatchListenerDouble blocked = new RecordingBatchListenerDouble(release);
    RecordingBatchListenerDouble free = new RecordingBatchListenerDouble(new CountDownLatch(0));
    try (KvEventPublisher a = KvEventPublisher.ofBatches(blocked, 16, null, MetricsSink.NONE);
        KvEventPublisher b = KvEventPublisher.ofBatches(free, 16, null, MetricsSink.NONE)) {
      try {
        a.cleared(Tier.DEVICE);
        a.flush();
        b.cleared(Tier.HOST);
        assertThat(b.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
        assertThat(free.events()).hasSize(1);
        assertThat(blocked.events()).isEmpty();
      } finally {
        release.countDown();
      }
      assertThat(a.awaitDelivered(30, TimeUnit.SECONDS)).isTrue();
      assertThat(free.threads()).doesNotContainAnyElementsOf(blocked.threads());
    }
  }

  @Test void aZeroHandOverAge_takesEventsAsTheyCome() throws InterruptedException {
    RecordingBatchListenerDouble l = new RecordingBatchListenerDouble(new CountDownLatch(0));
    try (KvEventPublisher p = KvEventPublisher.ofBatches(l, 1024, null, MetricsSink.NONE, 0)) {
      p.cleared(Tier.DEVICE);
      // No flush, no awaitDelivered, the ring far from half full.
      while (p.delivered() < 1) Thread.sleep(1);
      assertThat(l.events()).hasSize(1);
    }
  }

  @Test void aNegativeHandOverAge_isRejected_namingTheValue() {
    assertThatThrownBy(() -> KvEventPublisher.ofBatches(b -> {}, 16, null, MetricsSink.NONE, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hand-over age").hasMessageContaining("-1");
  }

  @Test void bothListenerForms_onOneCache_areRejected() {
    var config = dev.hicache.api.config.HiCacheConfig.builder().pageSize(16).build();
    var shape = dev.hicache.api.KvShape.mha(1, 1, 8, dev.hicache.api.DType.BF16, 16);
    var b = dev.hicache.core.engine.HiCache.builder(config).metadataOnly(shape, 64 * 16, 0)
        .kvEvents(e -> {}).kvEventBatches(batch -> {});
    assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("kvEventBatches");
  }
}
