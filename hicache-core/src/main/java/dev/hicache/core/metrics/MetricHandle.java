package dev.hicache.core.metrics;

import dev.hicache.api.spi.MetricsSink;

/**
 * A counter, gauge or distribution the engine reports often (per tick, per step, per request), bound
 * to its name and label: the sink's handle ({@link MetricsSink#counterHandle}, {@link
 * MetricsSink#gaugeHandle}, {@link MetricsSink#distributionHandle})
 * is asked for at the first report, not before, so that a metric never reported never appears in
 * the sink, as with {@link MetricsSink#count} (docs/observability.md#metrics). Owned by one thread.
 */
public final class MetricHandle {
  private final MetricsSink sink;
  private final String name;
  private final String label;
  private MetricsSink.Counter counter;
  private MetricsSink.Gauge gauge;
  private MetricsSink.Distribution distribution;

  private MetricHandle(MetricsSink sink, String name, String label) {
    this.sink = sink;
    this.name = name;
    this.label = label;
  }

  /** Counter, gauge or distribution {@code name} with {@code label} (null for none) of {@code sink}. */
  public static MetricHandle of(MetricsSink sink, String name, String label) {
    return new MetricHandle(sink, name, label);
  }

  /** As {@code sink.count(name, label, delta)}. */
  public void add(long delta) {
    MetricsSink.Counter c = counter;
    if (c == null) counter = c = sink.counterHandle(name, label);
    c.add(delta);
  }

  /**
   * Ends this handle's use of its counter or distribution cell, by its owning thread (or after it, with a
   * happens-before edge), when the cache that reports through it closes: an {@link InMemoryMetrics}
   * cell is given back, keeps its value and goes to the counter's next handle, so a sink shared by
   * caches built over time holds a cell per live handle, not one per handle ever made. A report after
   * this asks the sink again, as a first report does ({@link MetricsSink.Counter#release}; a tee
   * releases each sink's handle, a sink that keeps no cell does nothing).
   */
  public void release() {
    MetricsSink.Counter c = counter;
    counter = null;
    if (c != null) c.release();
    MetricsSink.Distribution d = distribution;
    distribution = null;
    if (d != null) d.release();
  }

  /** As {@code sink.gauge(name, label, value)}. */
  public void set(long value) {
    MetricsSink.Gauge g = gauge;
    if (g == null) gauge = g = sink.gaugeHandle(name, label);
    g.set(value);
  }

  /** As {@code sink.observe(name, label, value)}. */
  public void observe(double value) {
    MetricsSink.Distribution d = distribution;
    if (d == null) distribution = d = sink.distributionHandle(name, label);
    d.observe(value);
  }
}
