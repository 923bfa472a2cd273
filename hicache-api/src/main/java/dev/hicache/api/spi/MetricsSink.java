package dev.hicache.api.spi;

/**
 * Where the engine reports what happened. Names follow SGLang's metric names without the {@code
 * sglang:} prefix (e.g. {@code cached_tokens}, {@code backuped_tokens}); a label, where a metric
 * has one, is given as its value (e.g. {@code cached_tokens} with label {@code device}).
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

  /** A sink that drops everything. */
  MetricsSink NONE = new MetricsSink() {
    @Override public void count(String name, String label, long delta) {}
    @Override public void gauge(String name, String label, long value) {}
    @Override public void observe(String name, String label, double value) {}
  };
}
