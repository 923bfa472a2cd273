package dev.hicache.core.events;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.events.KvEvent;
import dev.hicache.api.events.KvEventListener;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.spi.MetricsSink;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.SpscArrayQueue;

/**
 * Hands {@link KvEvent}s from the scheduler thread (the only producer) to a listener on a thread of
 * its own, through a bounded single-producer queue. Publishing never waits: a full queue drops the
 * event and counts it (docs/observability.md#kv-events). Close delivers what is queued, then stops.
 */
public final class KvEventPublisher implements AutoCloseable {
  private final KvEventListener listener;
  private final SpscArrayQueue<KvEvent> queue;
  private final MetricsSink metrics;
  private final PageKey namespaceSeed;
  private final Thread consumer;
  private volatile boolean sleeping;
  private volatile boolean closing;
  private long nextSequence;
  private long dropped;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong listenerErrors = new AtomicLong();

  public KvEventPublisher(KvEventListener listener, int capacity, PageKey namespaceSeed, MetricsSink metrics) {
    if (capacity < 1) throw new IllegalArgumentException("KV event queue capacity must be at least 1, got " + capacity);
    this.listener = listener;
    this.queue = new SpscArrayQueue<>(capacity);
    this.metrics = metrics == null ? MetricsSink.NONE : metrics;
    this.namespaceSeed = namespaceSeed;
    this.consumer = Thread.ofPlatform().daemon().name("hicache-kv-events").unstarted(this::run);
    consumer.start();
  }

  public void stored(Tier tier, PageKey parentKey, List<PageKey> keys) {
    publish(new KvEvent.BlockStored(nextSequence, tier, namespaceSeed, parentKey, keys));
  }

  /**
   * {@link #stored(Tier, PageKey, List)} for pages of the namespace seeded {@code namespaceSeed}
   * (docs/behaviour.md#namespaces): the event names that namespace instead of the cache's default.
   */
  public void stored(Tier tier, PageKey namespaceSeed, PageKey parentKey, List<PageKey> keys) {
    publish(new KvEvent.BlockStored(nextSequence, tier, namespaceSeed, parentKey, keys));
  }

  /** {@link #removed(Tier, List)} for pages of the namespace seeded {@code namespaceSeed}. */
  public void removed(Tier tier, PageKey namespaceSeed, List<PageKey> keys) {
    publish(new KvEvent.BlockRemoved(nextSequence, tier, namespaceSeed, keys));
  }

  public void removed(Tier tier, List<PageKey> keys) {
    publish(new KvEvent.BlockRemoved(nextSequence, tier, namespaceSeed, keys));
  }

  public void cleared(Tier tier) {
    publish(new KvEvent.AllBlocksCleared(nextSequence, tier, namespaceSeed));
  }

  /** The consumer's nap while events keep coming: the most an event waits for delivery then. */
  private static final long NAP_NANOS = 200_000;
  /** Naps without an event before the consumer sleeps until woken (about 13 ms of quiet). */
  private static final int IDLE_NAPS = 64;
  /** The longest sleep: bounds the delay of a wake-up lost between the producer's offer and the flag. */
  private static final long SLEEP_NANOS = 50_000_000;

  private void publish(KvEvent e) {
    nextSequence++;
    if (!queue.offer(e)) {
      dropped++;
      metrics.count(HiCacheMetric.KV_EVENTS_DROPPED.key(), null, 1);
      return;
    }
    if (sleeping) LockSupport.unpark(consumer);
  }

  /** Events published so far (delivered, queued or dropped). Scheduler thread only. */
  public long published() { return nextSequence; }

  /** Events dropped because the queue was full. Scheduler thread only. */
  public long dropped() { return dropped; }

  /** Events the listener has been handed. */
  public long delivered() { return delivered.get(); }

  /** Events whose listener call threw. */
  public long listenerErrors() { return listenerErrors.get(); }

  /**
   * Waits until every event published so far has been handed to the listener, or the timeout
   * passes. For shutdown and tests; never call it where the scheduler must not wait.
   */
  public boolean awaitDelivered(long timeout, TimeUnit unit) {
    long target = nextSequence - dropped;
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (delivered.get() < target) {
      if (System.nanoTime() - deadline > 0) return false;
      LockSupport.unpark(consumer);
      Thread.onSpinWait();
      LockSupport.parkNanos(10_000);
    }
    return true;
  }

  private void run() {
    int idle = 0;
    while (true) {
      KvEvent e = queue.relaxedPoll();
      if (e == null) {
        if (closing && queue.isEmpty()) return;
        // While events keep coming, the consumer naps on its own (a timed park) and the scheduler
        // never pays a wake-up: unparking on every event was a futex call per page move, a third of
        // the engine's time in ObservabilityOverheadBenchmark (docs/benchmarks.md). Only after a
        // quiet spell does it announce sleep; the producer then wakes it with the next event, and
        // the bounded park caps the delay of a wake-up lost to that race.
        if (++idle < IDLE_NAPS) {
          LockSupport.parkNanos(this, NAP_NANOS);
          continue;
        }
        sleeping = true;
        // Re-check after announcing sleep: a producer that offered before seeing the flag did not unpark.
        if (queue.isEmpty() && !closing) LockSupport.parkNanos(this, SLEEP_NANOS);
        sleeping = false;
        continue;
      }
      idle = 0;
      try {
        listener.onEvent(e);
      } catch (RuntimeException ex) {
        listenerErrors.incrementAndGet();
      }
      delivered.incrementAndGet();
    }
  }

  /** Delivers what is queued, then stops the thread. Idempotent. */
  @Override public void close() {
    closing = true;
    LockSupport.unpark(consumer);
    try {
      consumer.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }
}
