package dev.hicache.core.events;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.events.KvEvent;
import dev.hicache.api.events.KvEventBatch;
import dev.hicache.api.events.KvEventBatchListener;
import dev.hicache.api.events.KvEventListener;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.spi.MetricsSink;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands {@link KvEvent}s from the scheduler thread (the only producer) to a listener on a thread of
 * its own (docs/observability.md#kv-events). The scheduler thread only writes an event's fields into
 * the next slot of a ring (parallel arrays, in chunks made as needed) and publishes the slot with
 * one ordered store: no event object, no list, no copy of the page keys, no clock read, no wake-up
 * while the consumer is up. The consumer times the hand-over itself: it sleeps until the first
 * event after a quiet spell (the one wake-up the scheduler thread gives), then takes what has been
 * published once per {@code handOverAgeNanos} (default {@link #MAX_BATCH_AGE_NANOS}) while events
 * keep coming, sooner when the ring is half full, on {@link #flush} and on close. It hands a {@link
 * KvEventBatchListener} what it took as one {@link KvEventBatch} view (no object per event), or
 * builds the {@link KvEvent}s for a {@link KvEventListener}, in order, then gives the slots back.
 * The consumer is a thread of the cache's own from the first event on for as long as the cache
 * lives, taken from a pool of idle ones ({@link ConsumerThread}) so that a cache built after another
 * one closed does not start a thread. The ring holds {@code capacity} events: when it is full the
 * event is dropped and counted; publishing never waits. Close delivers what is pending, then stops.
 *
 * <p>All methods but {@link #delivered} and {@link #listenerErrors} belong to the scheduler thread.
 * Page-key arrays handed in must not change afterwards (the tree replaces a node's array on a
 * split, never writes into it).
 */
public final class KvEventPublisher implements AutoCloseable {
  /** Slots per chunk of the ring (a power of two): chunks are made as the ring first reaches them. */
  static final int CHUNK_EVENTS = 256;
  private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(CHUNK_EVENTS);
  /**
   * The default hand-over age: the consumer takes the published events at most this often while
   * they keep coming, so an event waits at most about this long. 10 ms, about one decode step of a
   * serving engine (vLLM publishes its KV events once per step); on the engine replay, which steps
   * every few microseconds, ~3 hand-overs (and wake-ups of the consumer) per 35 ms replay instead
   * of ~34 at the earlier 1 ms, which cost about 4 points of the replay's CPU time
   * (docs/benchmarks.md#observability-overhead).
   */
  public static final long MAX_BATCH_AGE_NANOS = 10_000_000;
  /** The longest sleep with nothing pending: a safety net only; the producer wakes a sleeping consumer. */
  private static final long SLEEP_NANOS = 50_000_000;

  private static final byte STORED = 0, REMOVED = 1, CLEARED = 2;
  private static final KvEventBatch.Kind[] KINDS = {KvEventBatch.Kind.STORED, KvEventBatch.Kind.REMOVED, KvEventBatch.Kind.CLEARED};
  /** Consumer states: up (taking, or waiting for the age with events pending); asleep with nothing pending. */
  private static final int RUNNING = 0, SLEEPING = 1;
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

  /** {@link #CHUNK_EVENTS} slots of the ring, as parallel arrays so that filling a slot allocates nothing. */
  static final class Chunk {
    final long[] sequence = new long[CHUNK_EVENTS];
    final byte[] kind = new byte[CHUNK_EVENTS];
    final Tier[] tier = new Tier[CHUNK_EVENTS];
    final PageKey[] namespaceSeed = new PageKey[CHUNK_EVENTS];
    final PageKey[] parentKey = new PageKey[CHUNK_EVENTS];
    final PageKey[][] keys = new PageKey[CHUNK_EVENTS][];
    final int[] keyCount = new int[CHUNK_EVENTS];

    /** Drops the references of slots {@code [from, to)}, so that given-back slots keep no page keys alive. */
    void clear(int from, int to) {
      Arrays.fill(tier, from, to, null);
      Arrays.fill(namespaceSeed, from, to, null);
      Arrays.fill(parentKey, from, to, null);
      Arrays.fill(keys, from, to, null);
    }
  }

  /**
   * The events the consumer took at once, slots {@code [first, first + size)} of the ring, handed to
   * a {@link KvEventBatchListener} as a read-only view. One per publisher, reused: valid only
   * during the listener's call.
   */
  final class View implements KvEventBatch {
    long first;
    int size;

    private Chunk chunk(int i) {
      return chunks[(int) ((first + Objects.checkIndex(i, size)) >>> CHUNK_SHIFT) & chunkMask];
    }

    private int slot(int i) {
      return (int) (first + i) & (CHUNK_EVENTS - 1);
    }

    @Override public int size() { return size; }

    @Override public long sequence(int i) { return chunk(i).sequence[slot(i)]; }

    @Override public Kind kind(int i) { return KINDS[chunk(i).kind[slot(i)]]; }

    @Override public Tier tier(int i) { return chunk(i).tier[slot(i)]; }

    @Override public PageKey namespaceSeed(int i) { return chunk(i).namespaceSeed[slot(i)]; }

    @Override public PageKey parentKey(int i) { return chunk(i).parentKey[slot(i)]; }

    @Override public int pageCount(int i) { return chunk(i).keyCount[slot(i)]; }

    @Override public PageKey pageKey(int i, int j) {
      Chunk c = chunk(i);
      int s = slot(i);
      return c.keys[s][Objects.checkIndex(j, c.keyCount[s])];
    }

    @Override public KvEvent event(int i) {
      Chunk c = chunk(i);
      int s = slot(i);
      return switch (c.kind[s]) {
        case STORED -> new KvEvent.BlockStored(c.sequence[s], c.tier[s], c.namespaceSeed[s], c.parentKey[s], keyList(c, s));
        case REMOVED -> new KvEvent.BlockRemoved(c.sequence[s], c.tier[s], c.namespaceSeed[s], keyList(c, s));
        default -> new KvEvent.AllBlocksCleared(c.sequence[s], c.tier[s], c.namespaceSeed[s]);
      };
    }

    /**
     * The slot's keys as an unmodifiable list: {@code List.of} copies the array once and the
     * event's own {@code List.copyOf} keeps that list as it is (a sub-list view was copied twice,
     * the first time element by element through an iterator).
     */
    private static List<PageKey> keyList(Chunk c, int s) {
      PageKey[] k = c.keys[s];
      return List.of(c.keyCount[s] == k.length ? k : Arrays.copyOf(k, c.keyCount[s]));
    }
  }

  /** One of the two is set: the batch form, or the per-event form (each event built as a {@link KvEvent}). */
  private final KvEventBatchListener batchListener;
  private final KvEventListener listener;
  private final MetricsSink metrics;
  private final PageKey namespaceSeed;
  private final int capacity;
  /** The ring's chunks (a power of two of them, together at least {@code capacity} slots), made as needed. */
  private final Chunk[] chunks;
  private final int chunkMask;
  private final View view = new View();
  /** The consumer takes published events at most this often while they keep coming. */
  private final long handOverAgeNanos;
  /** The pool thread running {@link #run} for this publisher; null until it starts. */
  private volatile Thread consumer;
  /** Counted down when {@link #run} returns. */
  private final CountDownLatch finished = new CountDownLatch(1);
  /** Slots written so far: the scheduler thread's ordered store publishes a slot's fields. */
  private volatile long published;
  /** Slots the consumer has delivered and given back. */
  private volatile long taken;
  /** The consumer's {@link #RUNNING} or {@link #SLEEPING}: the producer wakes it only when it sleeps. */
  private volatile int state;
  /**
   * Take the slots below this now, without waiting for the age: set by a flush and by a ring half
   * full. Only grows, so that no request is lost to a race with the consumer.
   */
  private volatile long takeNowTo;
  private volatile boolean closing;
  // Scheduler thread only.
  /** {@link #published}'s value, read without a fence. */
  private long head;
  /** {@link #taken} as last read: at most the true value, so the ring looks at most as full as it is. */
  private long takenSeen;
  /** Whether a consumer thread has been asked for (at the first event). */
  private boolean served;
  private long nextSequence;
  private long dropped;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong listenerErrors = new AtomicLong();

  /** Delivers each event to {@code listener} as a {@link KvEvent} of its own. */
  public KvEventPublisher(KvEventListener listener, int capacity, PageKey namespaceSeed, MetricsSink metrics) {
    this(listener, capacity, namespaceSeed, metrics, MAX_BATCH_AGE_NANOS);
  }

  /** As the four-argument form, taking the published events at most every {@code handOverAgeNanos}. */
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
    // At most `capacity` slots are live at once, consecutive: with at least that many slots in the
    // ring no two live slots share one.
    // In longs: a capacity near Integer.MAX_VALUE must not wrap to one chunk.
    long needed = ((long) capacity + CHUNK_EVENTS - 1) / CHUNK_EVENTS;
    int n = Integer.highestOneBit((int) (needed * 2 - 1));
    this.chunks = new Chunk[n];
    this.chunkMask = n - 1;
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
    long h = head;
    if (h - takenSeen >= capacity) {
      takenSeen = taken;
      if (h - takenSeen >= capacity) {
        dropped++;
        metrics.count(HiCacheMetric.KV_EVENTS_DROPPED.key(), null, 1);
        return;
      }
    }
    int ci = (int) (h >>> CHUNK_SHIFT) & chunkMask;
    Chunk c = chunks[ci];
    // Published to the consumer by the ordered store of `published` below, as the slot's fields are.
    if (c == null) chunks[ci] = c = new Chunk();
    int s = (int) h & (CHUNK_EVENTS - 1);
    c.sequence[s] = seq;
    c.kind[s] = kind;
    c.tier[s] = tier;
    c.namespaceSeed[s] = ns;
    c.parentKey[s] = parent;
    c.keys[s] = keys;
    c.keyCount[s] = count;
    head = ++h;
    // A volatile store, then volatile loads: either the consumer, announcing its sleep, sees this
    // slot, or this thread sees it asleep and wakes it (the only wake-up of a quiet spell).
    published = h;
    if (!served) {
      served = true;
      ConsumerThread.serve(this);
    } else if (state == SLEEPING) {
      LockSupport.unpark(consumer);
    } else if (2 * (h - takenSeen) >= capacity) {
      // Half full by the last look at `taken`: look again, and have the consumer take now if so,
      // unless it has been asked since it last gave slots back.
      takenSeen = taken;
      if (2 * (h - takenSeen) >= capacity && takeNowTo <= takenSeen) takeNow(h);
    }
  }

  /** Has the consumer take the slots below {@code to} now, without waiting for the age. */
  private void takeNow(long to) {
    takeNowTo = to;
    Thread c = consumer;
    // Not started yet: it will see `takeNowTo` when it does.
    if (c != null) LockSupport.unpark(c);
  }

  /** Has the consumer take everything published so far now. */
  public void flush() {
    if (served) takeNow(head);
  }

  /** Events published so far (delivered, pending or dropped). Scheduler thread only. */
  public long published() { return nextSequence; }

  /** Events dropped because the ring was full. Scheduler thread only. */
  public long dropped() { return dropped; }

  /** Events the listener has been handed. */
  public long delivered() { return delivered.get(); }

  /** Events whose listener call threw. */
  public long listenerErrors() { return listenerErrors.get(); }

  /**
   * Has the consumer take what is pending and waits until every event published so far has been
   * handed to the listener, or the timeout passes. Scheduler thread; for shutdown and tests, never
   * where the scheduler must not wait.
   */
  public boolean awaitDelivered(long timeout, TimeUnit unit) {
    long target = head;
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (delivered.get() < target) {
      if (System.nanoTime() - deadline > 0) return false;
      takeNow(target);
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
    long t = taken;
    // The events that had this publisher served wait at most the age from now.
    long due = System.nanoTime() + handOverAgeNanos;
    while (true) {
      // `closing` before `published`: every event published before close is then seen.
      boolean closed = closing;
      long h = published;
      if (h == t && closed) return;
      if (!closed && takeNowTo <= t) {
        long wait = due - System.nanoTime();
        if (wait > 0) {
          // Up until the age passes, events pending or not: a step's events usually follow the
          // last step's, and one timed wake-up per age is all they then cost (sleeping as soon as
          // the ring was empty cost a wake-up by the producer and a timed one per age). A flush, a
          // half-full ring or close stores its flag and then wakes this thread: either the flag is
          // seen here, or the wake-up makes the park return at once.
          if (takeNowTo <= t && !closing) LockSupport.parkNanos(this, wait);
          continue;
        }
      }
      if (h == t) {
        // The age has passed with nothing published: sleep until the next event.
        state = SLEEPING;
        // A volatile store, then volatile loads (the producer's side is in publish).
        if (published == t && !closing) LockSupport.parkNanos(this, SLEEP_NANOS);
        state = RUNNING;
        if (published != t) due = System.nanoTime() + handOverAgeNanos;
        continue;
      }
      due = System.nanoTime() + handOverAgeNanos;
      deliver(t, h);
      t = h;
    }
  }

  /**
   * Hands slots {@code [from, to)} to the listener and gives them back. A method of its own, not a
   * part of {@link #consume}'s loop: that is entered once per cache and turns once per hand-over,
   * too seldom for the JIT to compile it, so a per-event loop inside it would run in the
   * interpreter; this one is called per hand-over and is compiled like any hot method.
   */
  private void deliver(long from, long to) {
    int n = (int) (to - from);
    if (batchListener != null) {
      view.first = from;
      view.size = n;
      try {
        batchListener.onBatch(view);
      } catch (RuntimeException ex) {
        listenerErrors.incrementAndGet();
      }
    } else {
      view.first = from;
      view.size = n;
      for (int i = 0; i < n; i++) {
        try {
          listener.onEvent(view.event(i));
        } catch (RuntimeException ex) {
          listenerErrors.incrementAndGet();
        }
      }
    }
    view.size = 0;
    for (long s = from; s < to; ) {
      long end = Math.min(to, (s | (CHUNK_EVENTS - 1)) + 1);
      chunks[(int) (s >>> CHUNK_SHIFT) & chunkMask].clear((int) s & (CHUNK_EVENTS - 1), (int) ((end - 1) & (CHUNK_EVENTS - 1)) + 1);
      s = end;
    }
    taken = to;
    // After the slots are back: once awaitDelivered sees the count, the producer can reuse them.
    delivered.addAndGet(n);
  }

  /** Delivers what is pending, then gives the consumer thread back. Scheduler thread. Idempotent. */
  @Override public void close() {
    closing = true;
    if (!served) return;
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
