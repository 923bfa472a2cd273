package dev.hicache.api.spi;

/**
 * Where the engine reports what happened. Every name is a {@link
 * dev.hicache.api.metrics.HiCacheMetric#key()} (SGLang's metric names without the {@code sglang:}
 * prefix where SGLang has the metric, e.g. {@code cached_tokens}); a label, where a metric has
 * one, is given as its value (e.g. {@code cached_tokens} with label {@code device}), its name is
 * {@link dev.hicache.api.metrics.HiCacheMetric#labelName()}.
 *
 * <p>Implementations must be cheap: the scheduler thread calls them on the hot path.
 */
public interface MetricsSink {
  /** Adds {@code delta} to a counter. */
  void count(String name, String label, long delta);

  /** Sets a gauge. */
  void gauge(String name, String label, long value);

  /** Records one observation of a distribution (durations in seconds, sizes in pages, ...). */
  void observe(String name, String label, double value);

  default void count(String name, long delta) {
    count(name, null, delta);
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
    };
  }

  /** A sink that drops everything. */
  MetricsSink NONE = new MetricsSink() {
    @Override public void count(String name, String label, long delta) {}
    @Override public void gauge(String name, String label, long value) {}
    @Override public void observe(String name, String label, double value) {}
  };
}
