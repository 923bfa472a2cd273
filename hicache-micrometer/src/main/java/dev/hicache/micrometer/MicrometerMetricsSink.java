package dev.hicache.micrometer;

import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.spi.MetricsSink;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HiCache's {@link MetricsSink} on a Micrometer {@link MeterRegistry}: each {@link HiCacheMetric}
 * becomes a meter named by its {@link HiCacheMetric#exportName()} with its unit as base unit and
 * its label as the tag {@link HiCacheMetric#labelName()}; counters stay counters, gauges become
 * gauges, distributions in seconds become timers and the others distribution summaries
 * (docs/observability.md#micrometer). A name HiCache does not declare is registered as it comes,
 * its label under the tag {@code label}.
 *
 * <p>Meters are looked up once per (name, label) and cached, so the scheduler thread pays a map
 * lookup and an add per call, or only the add through a {@link #counterHandle}, {@link
 * #gaugeHandle} or {@link #distributionHandle} (what the engine uses for its most frequent metrics). Thread-safe.
 */
public final class MicrometerMetricsSink implements MetricsSink {
  // Micrometer's Counter and Gauge are written out in full: the simple names are MetricsSink's handles.
  private final MeterRegistry registry;
  private final Tags commonTags;
  private final ConcurrentHashMap<Key, io.micrometer.core.instrument.Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Key, AtomicLong> gauges = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Key, Object> distributions = new ConcurrentHashMap<>();

  private record Key(String name, String label) {}

  public MicrometerMetricsSink(MeterRegistry registry) {
    this(registry, Tags.empty());
  }

  /** {@code commonTags} go on every meter (e.g. the instance or the TP rank). */
  public MicrometerMetricsSink(MeterRegistry registry, Iterable<Tag> commonTags) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.commonTags = Tags.of(commonTags);
  }

  @Override public void count(String name, String label, long delta) {
    counter(name, label).increment(delta);
  }

  @Override public void gauge(String name, String label, long value) {
    // An ordered store, as InMemoryMetrics: a gauge reads its last value without a volatile store's fence.
    gaugeCell(name, label).lazySet(value);
  }

  /** The registered Micrometer counter itself: the handle skips the map look-up of {@link #count}. */
  @Override public MetricsSink.Counter counterHandle(String name, String label) {
    io.micrometer.core.instrument.Counter c = counter(name, label);
    return c::increment;
  }

  /** The gauge's cell itself: the handle skips the map look-up of {@link #gauge}. */
  @Override public MetricsSink.Gauge gaugeHandle(String name, String label) {
    return gaugeCell(name, label)::lazySet;
  }

  private io.micrometer.core.instrument.Counter counter(String name, String label) {
    return counters.computeIfAbsent(new Key(name, label), k -> {
      HiCacheMetric m = HiCacheMetric.byKey(k.name());
      return io.micrometer.core.instrument.Counter.builder(exportName(m, k.name())).tags(tags(m, k.label())).baseUnit(unit(m))
          .description(description(m)).register(registry);
    });
  }

  private AtomicLong gaugeCell(String name, String label) {
    return gauges.computeIfAbsent(new Key(name, label), k -> {
      HiCacheMetric m = HiCacheMetric.byKey(k.name());
      AtomicLong cell = new AtomicLong();
      // The map holds the cell strongly: Micrometer's gauges hold it weakly.
      io.micrometer.core.instrument.Gauge.builder(exportName(m, k.name()), cell, AtomicLong::doubleValue).tags(tags(m, k.label())).baseUnit(unit(m))
          .description(description(m)).register(registry);
      return cell;
    });
  }

  @Override public void observe(String name, String label, double value) {
    record(distribution(name, label), value);
  }

  /** The registered Timer or DistributionSummary itself: the handle skips the map look-up of {@link #observe}. */
  @Override public MetricsSink.Distribution distributionHandle(String name, String label) {
    Object meter = distribution(name, label);
    if (meter instanceof Timer t) return value -> t.record(Duration.ofNanos(Math.round(value * 1e9)));
    DistributionSummary d = (DistributionSummary) meter;
    return d::record;
  }

  private Object distribution(String name, String label) {
    return distributions.computeIfAbsent(new Key(name, label), k -> {
      HiCacheMetric m = HiCacheMetric.byKey(k.name());
      String n = exportName(m, k.name());
      if (m != null && m.unit() == HiCacheMetric.Unit.SECONDS) {
        // Micrometer's Prometheus naming appends _seconds itself.
        String base = n.endsWith("_seconds") ? n.substring(0, n.length() - "_seconds".length()) : n;
        return Timer.builder(base).tags(tags(m, k.label())).description(description(m)).register(registry);
      }
      return DistributionSummary.builder(n).tags(tags(m, k.label())).baseUnit(unit(m)).description(description(m))
          .register(registry);
    });
  }

  private static void record(Object meter, double value) {
    if (meter instanceof Timer t) t.record(Duration.ofNanos(Math.round(value * 1e9)));
    else ((DistributionSummary) meter).record(value);
  }

  private static String exportName(HiCacheMetric m, String name) {
    return m == null ? name : m.exportName();
  }

  private Tags tags(HiCacheMetric m, String label) {
    if (label == null) return commonTags;
    return commonTags.and(m == null || m.labelName() == null ? "label" : m.labelName(), label);
  }

  private static String unit(HiCacheMetric m) {
    return m == null || m.unit() == HiCacheMetric.Unit.BOOLEAN ? null : m.unit().label();
  }

  private static String description(HiCacheMetric m) {
    return m == null ? null : "HiCache " + m.key();
  }
}
