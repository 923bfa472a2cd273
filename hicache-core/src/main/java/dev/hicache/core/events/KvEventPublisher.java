package dev.hicache.core.events;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.events.KvEvent;
import dev.hicache.api.events.KvEventBatch;
import dev.hicache.api.events.KvEventBatchListener;
import dev.hicache.api.events.KvEventListener;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.spi.MetricsSink;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.SpscArrayQueue;

/**
 * Hands {@link KvEvent}s from the scheduler thread (the only producer) to a listener on a thread of
 * its own, in batches (docs/observability.md#kv-events). The scheduler thread only writes an
 * event's fields into the slots of a reusable batch — no event object, no list, no copy of the page
 * keys, no wake-up per event — and hands a batch over when it is full or at the end of a scheduler
 * step ({@link #endOfStep}) once it is {@code handOverAgeNanos} old (default {@link #MAX_BATCH_AGE_NANOS}); the consumer hands a
 * {@link KvEventBatchListener} the batch itself as a {@link KvEventBatch} view (no object per
 * event), or builds the {@link KvEvent}s for a {@link KvEventListener}, in order, and gives the
 * batch back. The consumer is a thread of the cache's own for as long as the cache lives, taken
 * from a pool of idle ones ({@link ConsumerThread}) so that a cache built after another one closed does
 * not start a thread. The batches together
 * hold {@code capacity} events (made as needed): when none is free the event is dropped and counted; publishing
 * never waits. Close delivers what is pending, then stops.
 *
 * <p>All methods but {@link #delivered} and {@link #listenerErrors} belong to the scheduler thread.
 * Page-key arrays handed in must not change afterwards (the tree replaces a node's array on a
 * split, never writes into it).
 */
public final class KvEventPublisher implements AutoCloseable {
  /** Events per batch: large enough that a burst costs one hand-over, small enough to recycle often. */
  static final int BATCH_EVENTS = 256;
  /**
   * The default hand-over age: a batch younger than this waits for later steps' events at the end
   * of a step. 10 ms, about one decode step of a serving engine (which then hands over at every
   * step's end, as vLLM publishes its KV events once per step); on the engine replay, which steps
   * every few microseconds, ~3 hand-overs (and wake-ups of the consumer) per 35 ms replay instead of
   * ~34 at the earlier 1 ms, which cost about 4 points of the replay's CPU time
   * (docs/benchmarks.md#observability-overhead).
   */
  public static final long MAX_BATCH_AGE_NANOS = 10_000_000;
  /** The longest sleep: a safety net only; the producer wakes a sleeping consumer when it hands a batch. */
  private static final long SLEEP_NANOS = 50_000_000;

  private static final byte STORED = 0, REMOVED = 1, CLEARED = 2;
  private static final KvEventBatch.Kind[] KINDS = {KvEventBatch.Kind.STORED, KvEventBatch.Kind.REMOVED, KvEventBatch.Kind.CLEARED};
  /** How long a consumer thread whose cache closed waits for another cache before it ends. */
  static final long CONSUMER_IDLE_SECONDS = 30;
  /**
   * A consumer thread: runs one publisher's consumer loop for that publisher's whole life (one thread
   * per live cache, so that one cache's slow listener never delays another's), then waits in {@link
   * #IDLE} for the next publisher, and ends after {@link #CONSUMER_IDLE_SECONDS} without one. A cache
   * per replay, as in the benchmarks and tests, so reuses one thread instead of starting and ending
   * one each time (docs/observability.md#kv-events).
   */
  static final class ConsumerThread implements Runnable {
    /** Idle consumers, most recently idle first. */
    private static final ConcurrentLinkedDeque<ConsumerThread> IDLE = new ConcurrentLinkedDeque<>();
    private static final Thread.Builder THREADS = Thread.ofPlatform().daemon().name("hicache-kv-events-", 0);

    private final Thread thread;
    /** The publisher to serve next; set by the one that takes this consumer from {@link #IDLE}. */
    private volatile KvEventPublisher assigned;

    private ConsumerThread(KvEventPublisher first) {
      assigned = first;
      thread = THREADS.unstarted(this);
    }

    /** Runs {@code p}'s consumer loop on an idle consumer thread, or on a new one if none is idle. */
    static void serve(KvEventPublisher p) {
      ConsumerThread c = IDLE.pollFirst();
      if (c == null) {
        new ConsumerThread(p).thread.start();
      } else {
        c.assigned = p;
        LockSupport.unpark(c.thread);
      }
    }

    @Override public void run() {
      KvEventPublisher p = assigned;
      while (p != null) {
        assigned = null;
        // Idle again before the publisher's close returns: a cache built right after it finds this thread.
        p.run(() -> IDLE.addFirst(this));
        p = await();
      }
    }

    /** The next publisher, or null once idle for {@link #CONSUMER_IDLE_SECONDS} (this thread then ends). */
    private KvEventPublisher await() {
      // A listener that interrupted its thread would otherwise make every park below return at once.
      Thread.interrupted();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONSUMER_IDLE_SECONDS);
      while (true) {
        KvEventPublisher p = assigned;
        if (p != null) return p;
        long left = deadline - System.nanoTime();
        // Out of IDLE, no one can assign it any more; not found there, someone took it and is assigning.
        if (left <= 0 && IDLE.remove(this)) return null;
        LockSupport.parkNanos(this, Math.max(left, 1_000_000));
      }
    }
  }

  /**
   * One batch's events, as parallel arrays so that filling a slot allocates nothing; handed to a
   * {@link KvEventBatchListener} as it is, as a read-only view.
   */
  static final class Batch implements KvEventBatch {
    final int limit;
    int size;
    long startNanos;
    final long[] sequence;
    final byte[] kind;
    final Tier[] tier;
    final PageKey[] namespaceSeed;
    final PageKey[] parentKey;
    final PageKey[][] keys;
    final int[] keyCount;

    Batch(int limit) {
      this.limit = limit;
      sequence = new long[limit];
      kind = new byte[limit];
      tier = new Tier[limit];
      namespaceSeed = new PageKey[limit];
      parentKey = new PageKey[limit];
      keys = new PageKey[limit][];
      keyCount = new int[limit];
    }

    @Override public int size() { return size; }

    @Override public long sequence(int i) { return sequence[Objects.checkIndex(i, size)]; }

    @Override public Kind kind(int i) { return KINDS[kind[Objects.checkIndex(i, size)]]; }

    @Override public Tier tier(int i) { return tier[Objects.checkIndex(i, size)]; }

    @Override public PageKey namespaceSeed(int i) { return namespaceSeed[Objects.checkIndex(i, size)]; }

    @Override public PageKey parentKey(int i) { return parentKey[Objects.checkIndex(i, size)]; }

    @Override public int pageCount(int i) { return keyCount[Objects.checkIndex(i, size)]; }

    @Override public PageKey pageKey(int i, int j) {
      return keys[Objects.checkIndex(i, size)][Objects.checkIndex(j, keyCount[i])];
    }

    @Override public KvEvent event(int i) {
      Objects.checkIndex(i, size);
      return switch (kind[i]) {
        case STORED -> new KvEvent.BlockStored(sequence[i], tier[i], namespaceSeed[i], parentKey[i], keyList(i));
        case REMOVED -> new KvEvent.BlockRemoved(sequence[i], tier[i], namespaceSeed[i], keyList(i));
        default -> new KvEvent.AllBlocksCleared(sequence[i], tier[i], namespaceSeed[i]);
      };
    }

    /**
     * The slot's keys as an unmodifiable list: {@code List.of} copies the array once and the
     * event's own {@code List.copyOf} keeps that list as it is (a sub-list view was copied twice,
     * the first time element by element through an iterator).
     */
    private List<PageKey> keyList(int i) {
      PageKey[] k = keys[i];
      return List.of(keyCount[i] == k.length ? k : Arrays.copyOf(k, keyCount[i]));
    }

    /** Drops the references, so that a batch waiting in the pool keeps no page keys alive. */
    void clear() {
      Arrays.fill(tier, 0, size, null);
      Arrays.fill(namespaceSeed, 0, size, null);
      Arrays.fill(parentKey, 0, size, null);
      Arrays.fill(keys, 0, size, null);
      size = 0;
    }
  }

  /** One of the two is set: the batch form, or the per-event form (each event built as a {@link KvEvent}). */
  private final KvEventBatchListener batchListener;
  private final KvEventListener listener;
  /** Batches handed to the consumer, in order. */
  private final SpscArrayQueue<Batch> full;
  /** Batches the consumer gave back. */
  private final SpscArrayQueue<Batch> free;
  private final MetricsSink metrics;
  private final PageKey namespaceSeed;
  /** The pool thread running {@link #run} for this publisher; null until it starts. */
  private volatile Thread consumer;
  /** Counted down when {@link #run} returns. */
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile boolean sleeping;
  private volatile boolean closing;
  private final int capacity;
  private final int batches;
  /** A pending batch younger than this waits at the end of a step ({@link #endOfStep}). */
  private final long handOverAgeNanos;
  // Scheduler thread only.
  /** Batches made so far: made when needed, so that a cache with few events does not pay for them all up front. */
  private int made;
  private Batch current;
  private long nextSequence;
  private long dropped;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong listenerErrors = new AtomicLong();

  /** Delivers each event to {@code listener} as a {@link KvEvent} of its own. */
  public KvEventPublisher(KvEventListener listener, int capacity, PageKey namespaceSeed, MetricsSink metrics) {
    this(listener, capacity, namespaceSeed, metrics, MAX_BATCH_AGE_NANOS);
  }

  /** As the four-argument form, handing a batch over at the end of a step once it is {@code handOverAgeNanos} old. */
  public KvEventPublisher(KvEventListener listener, int capacity, PageKey namespaceSeed, MetricsSink metrics,
      long handOverAgeNanos) {
    this(null, Objects.requireNonNull(listener, "listener"), capacity, namespaceSeed, metrics, handOverAgeNanos);
  }

  /** Delivers each batch to {@code listener} as a {@link KvEventBatch} view. */
  public static KvEventPublisher ofBatches(KvEventBatchListener listener, int capacity, PageKey namespaceSeed,
      MetricsSink metrics) {
    return ofBatches(listener, capacity, namespaceSeed, metrics, MAX_BATCH_AGE_NANOS);
  }

  /** As the four-argument form, with the hand-over age of the five-argument constructor. */
  public static KvEventPublisher ofBatches(KvEventBatchListener listener, int capacity, PageKey namespaceSeed,
      MetricsSink metrics, long handOverAgeNanos) {
    return new KvEventPublisher(Objects.requireNonNull(listener, "listener"), null, capacity, namespaceSeed, metrics,
        handOverAgeNanos);
  }

  private KvEventPublisher(KvEventBatchListener batchListener, KvEventListener listener, int capacity,
      PageKey namespaceSeed, MetricsSink metrics, long handOverAgeNanos) {
    if (capacity < 1) throw new IllegalArgumentException("KV event queue capacity must be at least 1, got " + capacity);
    if (handOverAgeNanos < 0) {
      throw new IllegalArgumentException("KV event hand-over age must be at least 0 ns, got " + handOverAgeNanos);
    }
    this.handOverAgeNanos = handOverAgeNanos;
    this.batchListener = batchListener;
    this.listener = listener;
    this.metrics = metrics == null ? MetricsSink.NONE : metrics;
    this.namespaceSeed = namespaceSeed;
    this.capacity = capacity;
    this.batches = (capacity + BATCH_EVENTS - 1) / BATCH_EVENTS;
    // SpscArrayQueue rounds up to a power of two (at least 4): every batch fits in either queue.
    this.full = new SpscArrayQueue<>(Math.max(4, batches));
    this.free = new SpscArrayQueue<>(Math.max(4, batches));
    ConsumerThread.serve(this);
  }

  /** {@code keys} joined {@code tier}, in the cache's default namespace. */
  public void stored(Tier tier, PageKey parentKey, PageKey[] keys, int count) {
    publish(STORED, tier, namespaceSeed, parentKey, keys, count);
  }

  /**
   * The first {@code count} of {@code keys} joined {@code tier}; they are pages of the namespace
   * seeded {@code namespaceSeed} (docs/behaviour.md#namespaces). {@code keys} must not change
   * afterwards: the event is built from it on the consumer thread.
   */
  public void stored(Tier tier, PageKey namespaceSeed, PageKey parentKey, PageKey[] keys, int count) {
    publish(STORED, tier, namespaceSeed, parentKey, keys, count);
  }

  /** The first {@code count} of {@code keys}, pages of the namespace seeded {@code namespaceSeed}, left {@code tier}. */
  public void removed(Tier tier, PageKey namespaceSeed, PageKey[] keys, int count) {
    publish(REMOVED, tier, namespaceSeed, null, keys, count);
  }

  public void removed(Tier tier, PageKey[] keys, int count) {
    publish(REMOVED, tier, namespaceSeed, null, keys, count);
  }

  public void cleared(Tier tier) {
    publish(CLEARED, tier, namespaceSeed, null, null, 0);
  }

  private void publish(byte kind, Tier tier, PageKey ns, PageKey parent, PageKey[] keys, int count) {
    long seq = nextSequence++;
    Batch b = current;
    if (b == null) {
      b = free.relaxedPoll();
      if (b == null && made < batches) {
        // Exactly `capacity` slots in all: the last batch takes the remainder.
        b = new Batch(Math.min(BATCH_EVENTS, capacity - made * BATCH_EVENTS));
        made++;
      }
      if (b == null) {
        dropped++;
        metrics.count(HiCacheMetric.KV_EVENTS_DROPPED.key(), null, 1);
        return;
      }
      b.startNanos = System.nanoTime();
      current = b;
    }
    int i = b.size++;
    b.sequence[i] = seq;
    b.kind[i] = kind;
    b.tier[i] = tier;
    b.namespaceSeed[i] = ns;
    b.parentKey[i] = parent;
    b.keys[i] = keys;
    b.keyCount[i] = count;
    if (b.size == b.limit) handOver();
  }

  /**
   * The end of a scheduler step: hands the pending batch to the consumer if it is at least the
   * hand-over age old. So an event reaches the listener at the end of the first step that
   * ends that long after the batch's first event (or when the batch fills), plus the consumer's
   * wake-up.
   */
  public void endOfStep() {
    Batch b = current;
    if (b != null && System.nanoTime() - b.startNanos >= handOverAgeNanos) handOver();
  }

  /** Hands the pending batch, if any, to the consumer now. */
  public void flush() {
    if (current != null) handOver();
  }

  private void handOver() {
    // Never fails: the queue holds every batch there is.
    full.offer(current);
    current = null;
    // Pairs with the consumer's store of `sleeping` before its last look at the queue: either it
    // sees this batch, or this thread sees it sleeping and wakes it.
    VarHandle.fullFence();
    // `sleeping` is set only after `consumer`: never null here when it is true.
    if (sleeping) LockSupport.unpark(consumer);
  }

  /** Events published so far (delivered, pending or dropped). Scheduler thread only. */
  public long published() { return nextSequence; }

  /** Events dropped because no batch was free. Scheduler thread only. */
  public long dropped() { return dropped; }

  /** Events the listener has been handed. */
  public long delivered() { return delivered.get(); }

  /** Events whose listener call threw. */
  public long listenerErrors() { return listenerErrors.get(); }

  /**
   * Hands over what is pending and waits until every event published so far has been handed to the
   * listener, or the timeout passes. Scheduler thread; for shutdown and tests, never where the
   * scheduler must not wait.
   */
  public boolean awaitDelivered(long timeout, TimeUnit unit) {
    flush();
    long target = nextSequence - dropped;
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (delivered.get() < target) {
      if (System.nanoTime() - deadline > 0) return false;
      Thread c = consumer;
      if (c != null) LockSupport.unpark(c);
      LockSupport.parkNanos(10_000);
    }
    return true;
  }

  /** The consumer loop, on a {@link ConsumerThread}; {@code beforeFinished} runs just before close may return. */
  private void run(Runnable beforeFinished) {
    consumer = Thread.currentThread();
    boolean returned = false;
    try {
      consume();
      returned = true;
    } finally {
      consumer = null;
      try {
        // A listener's Error ends the thread: it must not be offered to the next cache.
        if (returned) beforeFinished.run();
      } finally {
        finished.countDown();
      }
    }
  }

  private void consume() {
    while (true) {
      Batch b = full.relaxedPoll();
      if (b == null) {
        if (closing && full.isEmpty()) return;
        sleeping = true;
        // Re-check after announcing sleep (a volatile store, then this load): a producer that
        // handed a batch before it could see the flag did not unpark.
        if (full.isEmpty() && !closing) LockSupport.parkNanos(this, SLEEP_NANOS);
        sleeping = false;
        continue;
      }
      deliver(b);
    }
  }

  /**
   * Hands one batch's events to the listener and gives the batch back. A method of its own, not a
   * part of {@link #run}'s loop: {@code run} is entered once per consumer thread and its loop turns
   * once per batch, too seldom for the JIT to compile it, so the per-event loop inside it ran in
   * the interpreter; this one is called per batch and is compiled like any hot method.
   */
  private void deliver(Batch b) {
    int n = b.size;
    if (batchListener != null) {
      try {
        batchListener.onBatch(b);
      } catch (RuntimeException ex) {
        listenerErrors.incrementAndGet();
      }
    } else {
      for (int i = 0; i < n; i++) {
        try {
          listener.onEvent(b.event(i));
        } catch (RuntimeException ex) {
          listenerErrors.incrementAndGet();
        }
      }
    }
    b.clear();
    free.offer(b);
    // After the batch is back: once awaitDelivered sees the count, the producer can reuse it.
    delivered.addAndGet(n);
  }

  /** Hands over what is pending, delivers it, then gives the consumer thread back. Scheduler thread. Idempotent. */
  @Override public void close() {
    flush();
    closing = true;
    // Volatile store, then volatile load: either the consumer sees `closing` before it parks, or
    // this thread sees it (it announces itself before it ever parks) and wakes it.
    Thread c = consumer;
    if (c != null) LockSupport.unpark(c);
    try {
      finished.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }
}
