package dev.hicache.core.metrics;

import dev.hicache.api.spi.MetricsSink;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A plain in-memory {@link MetricsSink}: counters, gauges and distributions (count, sum, min,
 * max) keyed by {@code name{label}}, readable at any time and dumped as text. Thread-safe.
 */
public final class InMemoryMetrics implements MetricsSink {
  /**
   * One counter: a {@code LongAdder} for {@link #count} calls from any thread, plus one cell per
   * {@link #counterHandle}, each added to by its one owning thread ({@link MetricsSink#counterHandle}'s
   * contract) with a plain read and an ordered store, no atomic read-modify-write (the engine adds
   * through handles ~24,000 times per replay of the observability benchmark,
   * docs/observability.md#metrics). The value at any read is the sum of all of them.
   */
  static final class CounterCell {
    final LongAdder shared = new LongAdder();
    private volatile OwnedCounter[] owned = new OwnedCounter[0];

    synchronized OwnedCounter newOwned() {
      OwnedCounter c = new OwnedCounter();
      OwnedCounter[] o = Arrays.copyOf(owned, owned.length + 1);
      o[o.length - 1] = c;
      owned = o;
      return c;
    }

    long sum() {
      long s = shared.sum();
      for (OwnedCounter c : owned) s += c.get();
      return s;
    }
  }

  /** A handle's own cell of a counter: one writing thread, any number of readers. */
  static final class OwnedCounter implements Counter {
    private static final VarHandle VALUE;

    static {
      try {
        VALUE = MethodHandles.lookup().findVarHandle(OwnedCounter.class, "value", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private long value;

    @Override public void add(long delta) {
      // Only the owning thread writes: its plain read is the latest value, and the ordered store
      // publishes the sum to readers without the atomic add's full fence.
      VALUE.setRelease(this, value + delta);
    }

    long get() {
      return (long) VALUE.getAcquire(this);
    }
  }

  private final ConcurrentHashMap<String, CounterCell> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicLong> gauges = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Distribution> distributions = new ConcurrentHashMap<>();

  /** Count, sum, min and max of the observations of one distribution. */
  public record Summary(long count, double sum, double min, double max) {
    public double mean() { return count == 0 ? 0 : sum / count; }
  }

  /**
   * One distribution, updated from any thread. A sequence lock, not a monitor: an observation takes
   * it with one compare-and-swap (odd = being written) and gives it back with an ordered store,
   * where {@code synchronized} cost two compare-and-swaps (the engine observes ~2,800 times per
   * replay of the observability benchmark, on the scheduler thread, docs/benchmarks.md#observability-overhead);
   * a reader retries until it has read the four fields between two equal even sequence numbers,
   * so a summary is always one observation's whole effect or none of it.
   */
  static final class Distribution {
    private static final VarHandle SEQ;

    static {
      try {
        SEQ = MethodHandles.lookup().findVarHandle(Distribution.class, "seq", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private long seq;
    private long count;
    private double sum;
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;

    void add(double v) {
      long s;
      // Even = free: take it by making it odd; a writer that finds it odd (another writer inside) waits.
      for (int spins = 0; ((s = (long) SEQ.getOpaque(this)) & 1) != 0 || !SEQ.compareAndSet(this, s, s + 1); spins++) {
        backOff(spins);
      }
      count++;
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
      // Release: the four fields are visible to a reader that sees the even number.
      SEQ.setRelease(this, s + 2);
    }

    Summary summary() {
      for (int spins = 0; ; ) {
        long s = (long) SEQ.getAcquire(this);
        if ((s & 1) == 0) {
          long c = count;
          double su = sum, mi = min, ma = max;
          // The field reads above must not move below the second read of the sequence.
          VarHandle.loadLoadFence();
          if ((long) SEQ.getOpaque(this) == s) return new Summary(c, su, c == 0 ? 0 : mi, c == 0 ? 0 : ma);
        }
        backOff(spins++);
      }
    }

    /** A writer is inside for a few instructions: spin, but yield once it may have been descheduled there. */
    private static void backOff(int spins) {
      if (spins < 100) Thread.onSpinWait();
      else Thread.yield();
    }
  }

  static String key(String name, String label) {
    return label == null ? name : name + "{" + label + "}";
  }

  // The engine counts on every page event: the {@code name{label}} key is built once per (name,
  // label), not per call (docs/design.md#metadata-only-simulation).
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, CounterCell>> counterByLabel = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, AtomicLong>> gaugeByLabel = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Distribution>> distributionByLabel =
      new ConcurrentHashMap<>();

  // A small cache in front of the maps, hit by reference equality of the (name, label) strings
  // the engine passes (constants): an array load and two compares instead of two hash lookups per
  // page event. A pair takes the first free slot of PROBES from its hash (direct-mapped, two pairs
  // the engine reports on every prefetch and write, prefetched_tokens and hicache_l3_bytes{write},
  // shared a slot and evicted each other thousands of times per run). Entries are immutable (final
  // fields) and never removed, so a racing reader sees a whole entry or none; a miss falls back to
  // the maps, which stay the truth.
  private record Hot<T>(String name, String label, T cell) {}
  private static final int HOT_SLOTS = 256;
  private static final int PROBES = 4;
  @SuppressWarnings("unchecked")
  private final Hot<CounterCell>[] hotCounters = new Hot[HOT_SLOTS];
  @SuppressWarnings("unchecked")
  private final Hot<AtomicLong>[] hotGauges = new Hot[HOT_SLOTS];
  @SuppressWarnings("unchecked")
  private final Hot<Distribution>[] hotDistributions = new Hot[HOT_SLOTS];

  /** Package-private for the test that makes (name, label) pairs collide. */
  static int hotSlot(String name, String label) {
    int h = name.hashCode() * 31 + (label == null ? 0 : label.hashCode());
    return (h ^ (h >>> 16)) & (HOT_SLOTS - 1);
  }

  private static <T> T cached(Hot<T>[] table, String name, String label) {
    int s = hotSlot(name, label);
    for (int i = 0; i < PROBES; i++, s = (s + 1) & (HOT_SLOTS - 1)) {
      Hot<T> h = table[s];
      if (h == null) return null;
      if (h.name == name && h.label == label) return h.cell;
    }
    return null;
  }

  private static <T> void cache(Hot<T>[] table, String name, String label, T cell) {
    int home = hotSlot(name, label);
    for (int i = 0, s = home; i < PROBES; i++, s = (s + 1) & (HOT_SLOTS - 1)) {
      if (table[s] == null) {
        table[s] = new Hot<>(name, label, cell);
        return;
      }
    }
    table[home] = new Hot<>(name, label, cell);
  }

  /** Whether the pair's counter is in the cache. Package-private, for tests. */
  boolean counterCached(String name, String label) {
    return cached(hotCounters, name, label) != null;
  }

  // The hot methods below are a cache probe and the update, nothing else: the engine calls them
  // from ~40 sites, and C2 inlines each into its caller. With the map look-ups in line as well,
  // every site carried the cold path's code and the engine's own methods were inlined less.
  @Override public void count(String name, String label, long delta) {
    CounterCell a = cached(hotCounters, name, label);
    if (a == null) a = counterCell(name, label);
    a.shared.add(delta);
  }

  @Override public void gauge(String name, String label, long value) {
    AtomicLong g = cached(hotGauges, name, label);
    if (g == null) g = gaugeCell(name, label);
    // An ordered store: a gauge's last value is what it reads, and no reader needs the full fence
    // of a volatile store (one per gauge report, ~8,500 per replay of the observability benchmark).
    g.lazySet(value);
  }

  @Override public void observe(String name, String label, double value) {
    // As count and gauge: the engine observes per copy and per prefetch (~2,800 times in one
    // replay of ObservabilityOverheadBenchmark); building the key was a string concatenation and
    // a hash lookup per labelled observation.
    Distribution d = cached(hotDistributions, name, label);
    if (d == null) d = distributionCell(name, label);
    d.add(value);
  }

  /**
   * A cell of the counter's own for the handle's one thread: adding through it is a plain add and
   * an ordered store, no look-up and no atomic read-modify-write; reads sum it in. One cell per
   * handle, kept for this sink's life (the engine takes a handle per metric per cache).
   */
  @Override public Counter counterHandle(String name, String label) {
    return counterCell(name, label).newOwned();
  }

  /** The gauge's own cell, set as {@link #gauge(String, String, long)} sets it, with no look-up. */
  @Override public Gauge gaugeHandle(String name, String label) {
    return gaugeCell(name, label)::lazySet;
  }

  private CounterCell counterCell(String name, String label) {
    CounterCell a;
    if (label == null) {
      a = counters.get(name);
      if (a == null) a = counters.computeIfAbsent(name, k -> new CounterCell());
    } else {
      ConcurrentHashMap<String, CounterCell> byLabel = counterByLabel.get(name);
      if (byLabel == null) byLabel = counterByLabel.computeIfAbsent(name, k -> new ConcurrentHashMap<>());
      a = byLabel.get(label);
      if (a == null) a = byLabel.computeIfAbsent(label, l -> counters.computeIfAbsent(key(name, l), k -> new CounterCell()));
    }
    cache(hotCounters, name, label, a);
    return a;
  }

  private AtomicLong gaugeCell(String name, String label) {
    AtomicLong g;
    if (label == null) {
      g = gauges.get(name);
      if (g == null) g = gauges.computeIfAbsent(name, k -> new AtomicLong());
    } else {
      ConcurrentHashMap<String, AtomicLong> byLabel = gaugeByLabel.get(name);
      if (byLabel == null) byLabel = gaugeByLabel.computeIfAbsent(name, k -> new ConcurrentHashMap<>());
      g = byLabel.get(label);
      if (g == null) g = byLabel.computeIfAbsent(label, l -> gauges.computeIfAbsent(key(name, l), k -> new AtomicLong()));
    }
    cache(hotGauges, name, label, g);
    return g;
  }

  private Distribution distributionCell(String name, String label) {
    Distribution d;
    if (label == null) {
      d = distributions.get(name);
      if (d == null) d = distributions.computeIfAbsent(name, k -> new Distribution());
    } else {
      ConcurrentHashMap<String, Distribution> byLabel = distributionByLabel.get(name);
      if (byLabel == null) byLabel = distributionByLabel.computeIfAbsent(name, k -> new ConcurrentHashMap<>());
      d = byLabel.get(label);
      if (d == null) {
        d = byLabel.computeIfAbsent(label, l -> distributions.computeIfAbsent(key(name, l), k -> new Distribution()));
      }
    }
    cache(hotDistributions, name, label, d);
    return d;
  }

  /** A counter's value; 0 if it was never counted. */
  public long counter(String name, String label) {
    CounterCell a = counters.get(key(name, label));
    return a == null ? 0 : a.sum();
  }

  public long counter(String name) {
    return counter(name, null);
  }

  /** A gauge's last value; 0 if it was never set. */
  public long gauge(String name, String label) {
    AtomicLong g = gauges.get(key(name, label));
    return g == null ? 0 : g.get();
  }

  public Summary distribution(String name, String label) {
    Distribution d = distributions.get(key(name, label));
    return d == null ? new Summary(0, 0, 0, 0) : d.summary();
  }

  /** Every counter, sorted by key. */
  public Map<String, Long> counters() {
    Map<String, Long> out = new TreeMap<>();
    counters.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Every gauge, sorted by key. */
  public Map<String, Long> gauges() {
    Map<String, Long> out = new TreeMap<>();
    gauges.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** One line per metric, sorted: {@code counter name{label} value}, gauges and distributions likewise. */
  public String dump() {
    StringBuilder sb = new StringBuilder();
    counters().forEach((k, v) -> sb.append("counter ").append(k).append(' ').append(v).append('\n'));
    gauges().forEach((k, v) -> sb.append("gauge ").append(k).append(' ').append(v).append('\n'));
    new TreeMap<>(distributions).forEach((k, d) -> {
      Summary s = d.summary();
      sb.append("distribution ").append(k).append(" count=").append(s.count()).append(" sum=").append(s.sum())
          .append(" min=").append(s.min()).append(" max=").append(s.max()).append('\n');
    });
    return sb.toString();
  }

  @Override public String toString() {
    return dump();
  }
}
