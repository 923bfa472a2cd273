package dev.hicache.api.spi;

/**
 * Where the engine reports what happened. Every name is a {@link
 * dev.hicache.api.metrics.HiCacheMetric#key()} (SGLang's metric names without the {@code sglang:}
 * prefix where SGLang has the metric, e.g. {@code cached_tokens}); a label, where a metric has
 * one, is given as its value (e.g. {@code cached_tokens} with label {@code device}), its name is
 * {@link dev.hicache.api.metrics.HiCacheMetric#labelName()}.
 *
 * <p>Implementations must be cheap: the scheduler thread calls them on the hot path. For the metrics
 * it reports most often (a consensus tick, a gauge per step, a counter per request) the engine asks
 * once for a handle bound to the name and label ({@link #counterHandle}, {@link #gaugeHandle}) and
 * reports through it: a sink that overrides these skips its per-call look-up; the defaults report
 * through {@link #count} and {@link #gauge}, so a sink that does not override them sees the same
 * calls (docs/observability.md#metrics).
 */
public interface MetricsSink {
  /** A counter bound to one name and label, from {@link #counterHandle}. */
  @FunctionalInterface
  interface Counter {
    /** Adds {@code delta}, as {@link MetricsSink#count(String, String, long)} of its name and label. */
    void add(long delta);

    /**
     * Its owner is done with it (the cache that reported through it closed) and adds through it no
     * more: a sink that gave the handle a cell of its own may hand that cell, value kept, to a later
     * handle. Called by the owning thread or after it with a happens-before edge. The default does
     * nothing.
     */
    default void release() {}
  }

  /** A gauge bound to one name and label, from {@link #gaugeHandle}. */
  @FunctionalInterface
  interface Gauge {
    /** Sets the gauge, as {@link MetricsSink#gauge(String, String, long)} of its name and label. */
    void set(long value);
  }

  /** A distribution bound to one name and label, from {@link #distributionHandle}. */
  @FunctionalInterface
  interface Distribution {
    /** Records one observation, as {@link MetricsSink#observe(String, String, double)} of its name and label. */
    void observe(double value);

    /** As {@link Counter#release}: its owner observes through it no more. The default does nothing. */
    default void release() {}
  }

  /** Adds {@code delta} to a counter. */
  void count(String name, String label, long delta);

  /** Sets a gauge. */
  void gauge(String name, String label, long value);

  /** Records one observation of a distribution (durations in seconds, sizes in pages, ...). */
  void observe(String name, String label, double value);

  default void count(String name, long delta) {
    count(name, null, delta);
  }

  /**
   * Counter {@code name} with {@code label} (or null) as a handle, resolved once: adding through it
   * is {@link #count(String, String, long)} of that name and label. The default does exactly that
   * call; a sink overrides it to hand out its own cell and skip the look-up. A handle is added to by
   * one thread at a time (the engine's scheduler thread; a hand-over between threads must be a
   * happens-before edge), so a sink may give each handle a cell of its own with no atomic add.
   */
  default Counter counterHandle(String name, String label) {
    return delta -> count(name, label, delta);
  }

  /** Gauge {@code name} with {@code label} (or null) as a handle; as {@link #counterHandle}. */
  default Gauge gaugeHandle(String name, String label) {
    return value -> gauge(name, label, value);
  }

  /** Distribution {@code name} with {@code label} (or null) as a handle; as {@link #counterHandle}. */
  default Distribution distributionHandle(String name, String label) {
    return value -> observe(name, label, value);
  }

  /** A sink that reports everything to each of {@code sinks}, in order (e.g. in-memory and Micrometer). */
  static MetricsSink tee(MetricsSink... sinks) {
    MetricsSink[] all = sinks.clone();
    return new MetricsSink() {
      @Override public void count(String name, String label, long delta) {
        for (MetricsSink s : all) s.count(name, label, delta);
      }

      @Override public void gauge(String name, String label, long value) {
        for (MetricsSink s : all) s.gauge(name, label, value);
      }

      @Override public void observe(String name, String label, double value) {
        for (MetricsSink s : all) s.observe(name, label, value);
      }

      @Override public Counter counterHandle(String name, String label) {
        Counter[] each = new Counter[all.length];
        for (int i = 0; i < all.length; i++) each[i] = all[i].counterHandle(name, label);
        return new Counter() {
          @Override public void add(long delta) {
            for (Counter c : each) c.add(delta);
          }

          @Override public void release() {
            for (Counter c : each) c.release();
          }
        };
      }

      @Override public Gauge gaugeHandle(String name, String label) {
        Gauge[] each = new Gauge[all.length];
        for (int i = 0; i < all.length; i++) each[i] = all[i].gaugeHandle(name, label);
        return value -> {
          for (Gauge g : each) g.set(value);
        };
      }

      @Override public Distribution distributionHandle(String name, String label) {
        Distribution[] each = new Distribution[all.length];
        for (int i = 0; i < all.length; i++) each[i] = all[i].distributionHandle(name, label);
        return new Distribution() {
          @Override public void observe(double value) {
            for (Distribution d : each) d.observe(value);
          }

          @Override public void release() {
            for (Distribution d : each) d.release();
          }
        };
      }
    };
  }

  /** A sink that drops everything. */
  MetricsSink NONE = new MetricsSink() {
    private static final Counter NO_COUNTER = delta -> {};
    private static final Gauge NO_GAUGE = value -> {};
    private static final Distribution NO_DISTRIBUTION = value -> {};
    @Override public void count(String name, String label, long delta) {}
    @Override public void gauge(String name, String label, long value) {}
    @Override public void observe(String name, String label, double value) {}
    @Override public Counter counterHandle(String name, String label) { return NO_COUNTER; }
    @Override public Gauge gaugeHandle(String name, String label) { return NO_GAUGE; }
    @Override public Distribution distributionHandle(String name, String label) { return NO_DISTRIBUTION; }
  };
}
