package dev.hicache.core.metrics;

import dev.hicache.api.spi.MetricsSink;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
   *
   * <p>The cells are a list pushed at its head, not an array copied per new handle: a new handle is
   * one allocation and one store under the monitor (every cache built on a fresh sink takes ~31
   * handles at its first reports, each on cold code, docs/benchmarks.md#observability-overhead-issue-17).
   * A cell given back ({@link MetricHandle#release}) keeps its value and is the next handle's cell,
   * so a sink that outlives many caches holds as many cells per counter as handles live at once.
   */
  static final class CounterCell {
    final LongAdder shared = new LongAdder();
    // Every cell made for this counter, newest first (read without the monitor: each push is a
    // volatile store of a cell whose next link is final).
    private volatile OwnedCounter owned;
    // Cells given back, with no owner: guarded by this.
    private OwnedCounter free;

    synchronized OwnedCounter newOwned() {
      OwnedCounter c = free;
      if (c != null) {
        free = c.nextFree;
        c.nextFree = null;
        c.released = false;
        return c;
      }
      return owned = new OwnedCounter(this, owned);
    }

    /** Takes back {@code c}, whose owner adds to it no more; the monitor orders its last add before the next owner's first. */
    synchronized void giveBack(OwnedCounter c) {
      if (c.released) return;
      c.released = true;
      c.nextFree = free;
      free = c;
    }

    long sum() {
      long s = shared.sum();
      for (OwnedCounter c = owned; c != null; c = c.next) s += c.get();
      return s;
    }

    /** How many cells this counter holds. Package-private, for tests. */
    int cells() {
      int n = 0;
      for (OwnedCounter c = owned; c != null; c = c.next) n++;
      return n;
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

    private final CounterCell counter;
    private final OwnedCounter next;
    private long value;
    // Guarded by counter's monitor.
    private OwnedCounter nextFree;
    private boolean released;

    OwnedCounter(CounterCell counter, OwnedCounter next) {
      this.counter = counter;
      this.next = next;
    }

    @Override public void add(long delta) {
      // Only the owning thread writes: its plain read is the latest value, and the ordered store
      // publishes the sum to readers without the atomic add's full fence.
      VALUE.setRelease(this, value + delta);
    }

    long get() {
      return (long) VALUE.getAcquire(this);
    }

    /** Gives this cell back to its counter: the caller, its owner, adds to it no more. */
    @Override public void release() {
      counter.giveBack(this);
    }
  }

  /**
   * One gauge, and its own handle: set with an ordered store (a gauge's last value is what it
   * reads, and no reader needs the full fence of a volatile store: ~8,500 gauge reports per replay
   * of the observability benchmark), read with an acquiring load.
   */
  static final class GaugeCell implements Gauge {
    private static final VarHandle VALUE;

    static {
      try {
        VALUE = MethodHandles.lookup().findVarHandle(GaugeCell.class, "value", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private long value;

    @Override public void set(long v) {
      VALUE.setRelease(this, v);
    }

    long get() {
      return (long) VALUE.getAcquire(this);
    }
  }

  /**
   * A series' key in the maps: its name and label (null for none), compared by value. The key
   * string {@code name{label}} is built only when a series is read out by key ({@link #counters},
   * {@link #dump}), not when it is first reported.
   */
  static final class Series {
    final String name;
    final String label;
    private final int hash;

    Series(String name, String label) {
      this.name = name;
      this.label = label;
      this.hash = name.hashCode() * 31 + (label == null ? 0 : label.hashCode());
    }

    @Override public int hashCode() {
      return hash;
    }

    @Override public boolean equals(Object o) {
      return o instanceof Series s && hash == s.hash && name.equals(s.name)
          && (label == null ? s.label == null : label.equals(s.label));
    }

    @Override public String toString() {
      return key(name, label);
    }
  }

  // One map per kind, keyed by the series: a first report is one look-up and one insert, no nested
  // map per name and no key string (docs/benchmarks.md#observability-overhead-issue-17).
  // Sized for what one cache reports (~25 counters, ~10 gauges, ~8 distributions in a replay of the
  // observability benchmark) so that its first reports do not resize them; the tables are made at
  // the first insert.
  private final ConcurrentHashMap<Series, CounterCell> counters = new ConcurrentHashMap<>(40);
  private final ConcurrentHashMap<Series, GaugeCell> gauges = new ConcurrentHashMap<>(20);
  private final ConcurrentHashMap<Series, Distribution> distributions = new ConcurrentHashMap<>(20);

  /** Count, sum, min and max of the observations of one distribution. */
  public record Summary(long count, double sum, double min, double max) {
    public double mean() { return count == 0 ? 0 : sum / count; }
  }

  /**
   * Count, sum, min and max of observations under a sequence lock (odd = being written): a reader
   * retries until it has read the four fields between two equal even sequence numbers, so a
   * summary is always one observation's whole effect or none of it. How a writer takes the lock is
   * the subclass's: any thread with a compare-and-swap ({@link Distribution}), or the one owning
   * thread with plain stores ({@link OwnedDistribution}).
   */
  abstract static class SeqSummary {
    static final VarHandle SEQ;

    static {
      try {
        SEQ = MethodHandles.lookup().findVarHandle(SeqSummary.class, "seq", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private long seq;
    long count;
    double sum;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;

    /** Adds {@code v} to the four fields; the caller holds the lock (the sequence is odd). */
    final void record(double v) {
      count++;
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }

    /** This cell's four fields, read consistently, as {@code {count, sum, min, max}} merged into {@code into}. */
    final void mergeInto(double[] into) {
      for (int spins = 0; ; ) {
        long s = (long) SEQ.getAcquire(this);
        if ((s & 1) == 0) {
          long c = count;
          double su = sum, mi = min, ma = max;
          // The field reads above must not move below the second read of the sequence.
          VarHandle.loadLoadFence();
          if ((long) SEQ.getOpaque(this) == s) {
            into[0] += c;
            into[1] += su;
            into[2] = Math.min(into[2], mi);
            into[3] = Math.max(into[3], ma);
            return;
          }
        }
        backOff(spins++);
      }
    }
  }

  /**
   * One distribution, updated from any thread through {@link #observe}: an observation takes the
   * sequence lock with one compare-and-swap and gives it back with an ordered store, where {@code
   * synchronized} cost two compare-and-swaps. Plus one cell per {@link #distributionHandle}, each
   * written by its one owning thread with no atomic read-modify-write at all (the engine observes
   * ~3,000 times per replay of the observability benchmark, on the scheduler thread,
   * docs/benchmarks.md#observability-overhead-issue-17). A summary merges all of them. Cells given
   * back when their cache closes keep their observations and go to the next handle, as counter
   * cells do.
   */
  static final class Distribution extends SeqSummary {
    // Every cell made for this distribution, newest first (read without the monitor: each push is
    // a volatile store of a cell whose next link is final).
    private volatile OwnedDistribution owned;
    // Cells given back, with no owner: guarded by this.
    private OwnedDistribution free;

    void add(double v) {
      long s;
      // Even = free: take it by making it odd; a writer that finds it odd (another writer inside) waits.
      for (int spins = 0; ((s = (long) SEQ.getOpaque(this)) & 1) != 0 || !SEQ.compareAndSet(this, s, s + 1); spins++) {
        backOff(spins);
      }
      record(v);
      // Release: the four fields are visible to a reader that sees the even number.
      SEQ.setRelease(this, s + 2);
    }

    synchronized OwnedDistribution newOwned() {
      OwnedDistribution c = free;
      if (c != null) {
        free = c.nextFree;
        c.nextFree = null;
        c.released = false;
        return c;
      }
      return owned = new OwnedDistribution(this, owned);
    }

    /** Takes back {@code c}, whose owner observes through it no more; the monitor orders its last observation before the next owner's first. */
    synchronized void giveBack(OwnedDistribution c) {
      if (c.released) return;
      c.released = true;
      c.nextFree = free;
      free = c;
    }

    Summary summary() {
      double[] m = {0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
      mergeInto(m);
      for (OwnedDistribution c = owned; c != null; c = c.next) c.mergeInto(m);
      long c = (long) m[0];
      return new Summary(c, m[1], c == 0 ? 0 : m[2], c == 0 ? 0 : m[3]);
    }

    /** How many handle cells this distribution holds. Package-private, for tests. */
    int cells() {
      int n = 0;
      for (OwnedDistribution c = owned; c != null; c = c.next) n++;
      return n;
    }
  }

  /** A writer or reader is inside for a few instructions: spin, but yield once it may have been descheduled there. */
  static void backOff(int spins) {
    if (spins < 100) Thread.onSpinWait();
    else Thread.yield();
  }

  /** A handle's own cell of a distribution: one writing thread, so the sequence lock needs no compare-and-swap. */
  static final class OwnedDistribution extends SeqSummary implements MetricsSink.Distribution {
    private final Distribution distribution;
    private final OwnedDistribution next;
    // Guarded by distribution's monitor.
    private OwnedDistribution nextFree;
    private boolean released;

    OwnedDistribution(Distribution distribution, OwnedDistribution next) {
      this.distribution = distribution;
      this.next = next;
    }

    @Override public void observe(double v) {
      // Only the owning thread writes: its plain read of the sequence is the latest, odd while it
      // writes; the fence keeps the odd number ahead of the fields for a reader, the release store
      // of the next even number keeps the fields ahead of it.
      long s = (long) SEQ.get(this);
      SEQ.setOpaque(this, s + 1);
      VarHandle.storeStoreFence();
      record(v);
      SEQ.setRelease(this, s + 2);
    }

    /** Gives this cell back to its distribution: the caller, its owner, observes through it no more. */
    @Override public void release() {
      distribution.giveBack(this);
    }
  }

  static String key(String name, String label) {
    return label == null ? name : name + "{" + label + "}";
  }

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
  private final Hot<GaugeCell>[] hotGauges = new Hot[HOT_SLOTS];
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
    GaugeCell g = cached(hotGauges, name, label);
    if (g == null) g = gaugeCell(name, label);
    g.set(value);
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
   * handle; a cell given back ({@link MetricHandle#release}, when a cache closes) keeps its value
   * and is handed to the next handle of the counter.
   */
  @Override public Counter counterHandle(String name, String label) {
    CounterCell a = cached(hotCounters, name, label);
    if (a == null) a = counterCell(name, label);
    return a.newOwned();
  }

  /**
   * A cell of the distribution's own for the handle's one thread: an observation through it is
   * plain stores under its own sequence lock, no look-up and no compare-and-swap; summaries merge
   * it in. A cell given back ({@link MetricHandle#release}) keeps its observations and is handed
   * to the next handle of the distribution.
   */
  @Override public MetricsSink.Distribution distributionHandle(String name, String label) {
    Distribution d = cached(hotDistributions, name, label);
    if (d == null) d = distributionCell(name, label);
    return d.newOwned();
  }

  /** The gauge's own cell, set as {@link #gauge(String, String, long)} sets it, with no look-up. */
  @Override public Gauge gaugeHandle(String name, String label) {
    GaugeCell g = cached(hotGauges, name, label);
    return g != null ? g : gaugeCell(name, label);
  }

  // The cold paths: the first report of a series (or one whose hot slot another pair took). Short
  // on purpose: each runs once per series per sink, so mostly as interpreted or lightly compiled code.
  private CounterCell counterCell(String name, String label) {
    Series k = new Series(name, label);
    CounterCell a = counters.get(k);
    if (a == null) {
      CounterCell made = new CounterCell();
      a = counters.putIfAbsent(k, made);
      if (a == null) a = made;
    }
    cache(hotCounters, name, label, a);
    return a;
  }

  private GaugeCell gaugeCell(String name, String label) {
    Series k = new Series(name, label);
    GaugeCell g = gauges.get(k);
    if (g == null) {
      GaugeCell made = new GaugeCell();
      g = gauges.putIfAbsent(k, made);
      if (g == null) g = made;
    }
    cache(hotGauges, name, label, g);
    return g;
  }

  private Distribution distributionCell(String name, String label) {
    Series k = new Series(name, label);
    Distribution d = distributions.get(k);
    if (d == null) {
      Distribution made = new Distribution();
      d = distributions.putIfAbsent(k, made);
      if (d == null) d = made;
    }
    cache(hotDistributions, name, label, d);
    return d;
  }

  /** How many cells counter {@code name{label}} holds (0 if never reported). Package-private, for tests. */
  int counterCells(String name, String label) {
    CounterCell a = counters.get(new Series(name, label));
    return a == null ? 0 : a.cells();
  }
  /** How many handle cells the distribution holds (0 if never observed). Package-private, for tests. */
  int distributionCells(String name, String label) {
    Distribution d = distributions.get(new Series(name, label));
    return d == null ? 0 : d.cells();
  }


  /** A counter's value; 0 if it was never counted. */
  public long counter(String name, String label) {
    CounterCell a = counters.get(new Series(name, label));
    return a == null ? 0 : a.sum();
  }

  public long counter(String name) {
    return counter(name, null);
  }

  /** A gauge's last value; 0 if it was never set. */
  public long gauge(String name, String label) {
    GaugeCell g = gauges.get(new Series(name, label));
    return g == null ? 0 : g.get();
  }

  public Summary distribution(String name, String label) {
    Distribution d = distributions.get(new Series(name, label));
    return d == null ? new Summary(0, 0, 0, 0) : d.summary();
  }

  /** Every counter, sorted by key. */
  public Map<String, Long> counters() {
    Map<String, Long> out = new TreeMap<>();
    counters.forEach((k, v) -> out.put(k.toString(), v.sum()));
    return out;
  }

  /** Every gauge, sorted by key. */
  public Map<String, Long> gauges() {
    Map<String, Long> out = new TreeMap<>();
    gauges.forEach((k, v) -> out.put(k.toString(), v.get()));
    return out;
  }

  /** One line per metric, sorted: {@code counter name{label} value}, gauges and distributions likewise. */
  public String dump() {
    StringBuilder sb = new StringBuilder();
    counters().forEach((k, v) -> sb.append("counter ").append(k).append(' ').append(v).append('\n'));
    gauges().forEach((k, v) -> sb.append("gauge ").append(k).append(' ').append(v).append('\n'));
    Map<String, Distribution> sorted = new TreeMap<>();
    distributions.forEach((k, d) -> sorted.put(k.toString(), d));
    sorted.forEach((k, d) -> {
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
