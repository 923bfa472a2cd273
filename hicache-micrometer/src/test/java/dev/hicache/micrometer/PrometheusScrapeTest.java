package dev.hicache.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.api.tck.InMemoryL3StoreDouble;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.metrics.InMemoryMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A real engine run (L1, L2 and L3, metadata only, deterministic shell) reports to {@link
 * InMemoryMetrics} and to Micrometer through a tee; every counter and gauge in the Prometheus text
 * scraped afterwards equals its in-memory value, and the copy durations arrive as timers.
 */
class PrometheusScrapeTest {
  static final int PS = 16;
  static final KvShape SHAPE = KvShape.mha(4, 2, 32, DType.BF16, PS);

  @Test
  void engineRun_prometheusScrape_equalsInMemoryMetrics() {
    InMemoryMetrics memory = new InMemoryMetrics();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MetricsSink tee = MetricsSink.tee(memory, new MicrometerMetricsSink(registry));
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS)
        .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).build();
    SplittableRandom r = new SplittableRandom(17);
    int[][] prompts = new int[40][];
    for (int i = 0; i < prompts.length; i++) {
      prompts[i] = new int[PS * (8 + r.nextInt(40))];
      for (int k = 0; k < prompts[i].length; k++) prompts[i][k] = r.nextInt(1000);
    }
    for (int instance = 0; instance < 2; instance++) {
      try (HiCache cache = HiCache.builder(config).metadataOnly(SHAPE, 64 * PS, 256 * PS)
          .deterministic(CostModel.pcieGen5()).storage(l3).metrics(tee).build()) {
        for (int round = 0; round < 2; round++) {
          for (int i = 0; i < prompts.length; i++) {
            long rid = round * 1000L + i;
            cache.enqueue(rid, prompts[i]);
            for (int k = 0; k < 100 && !cache.readyToAdmit(rid); k++) {
              if (!cache.deterministicShell().runNext()) break;
              cache.poll();
            }
            CacheRequest q = cache.admit(rid, prompts[i], 0);
            if (cache.extend(q, prompts[i].length)) cache.finish(q, prompts[i], prompts[i].length);
            else cache.abort(q);
            cache.poll();
          }
        }
        cache.deterministicShell().drain();
        for (int k = 0; k < 100 && cache.poll() + cache.inFlightBackups() > 0; k++) cache.deterministicShell().drain();
      }
    }
    Map<String, Double> scraped = parse(registry.scrape());
    assertThat(memory.counter(HiCacheMetric.L3_PAGES.key(), "read")).as("the run read from L3").isPositive();
    assertThat(memory.counter(HiCacheMetric.EVICTED_TOKENS.key(), "device")).as("the run evicted").isPositive();
    memory.counters().forEach((key, value) -> assertThat(scraped.get(sample(registry, key, Meter.Type.COUNTER)))
        .as("counter " + key).isEqualTo((double) value));
    memory.gauges().forEach((key, value) -> assertThat(scraped.get(sample(registry, key, Meter.Type.GAUGE)))
        .as("gauge " + key).isEqualTo((double) value));
    var backups = memory.distribution(HiCacheMetric.BACKUP_DURATION.key(), null);
    assertThat(backups.count()).isPositive();
    var timer = registry.get("hicache_backup_duration").timer();
    assertThat(timer.count()).isEqualTo(backups.count());
    assertThat(timer.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS) / 1e9).isCloseTo(backups.sum(),
        org.assertj.core.data.Offset.offset(1e-6 * backups.count()));
    assertThat(scraped).containsKey("hicache_backup_duration_seconds_count{}");
  }

  /** The Prometheus sample name and labels of {@code key} ({@code name} or {@code name{label}}) as the scrape writes them. */
  private static String sample(PrometheusMeterRegistry registry, String key, Meter.Type type) {
    int brace = key.indexOf('{');
    HiCacheMetric m = HiCacheMetric.byKey(brace < 0 ? key : key.substring(0, brace));
    assertThat(m).as(key).isNotNull();
    Meter.Id id = registry.getMeters().stream().map(Meter::getId).filter(i -> i.getName().equals(m.exportName()))
        .filter(i -> brace < 0 || key.substring(brace + 1, key.length() - 1).equals(i.getTag(m.labelName())))
        .findFirst().orElseThrow(() -> new AssertionError("no meter for " + key));
    String name = id.getConventionName(registry.config().namingConvention());
    if (type == Meter.Type.COUNTER && !name.endsWith("_total")) name += "_total";
    String labels = brace < 0 ? "{}" : "{" + m.labelName() + "=\"" + key.substring(brace + 1, key.length() - 1) + "\"}";
    return name + labels;
  }

  /** Prometheus text format: {@code name{labels} value} per sample line; an unlabelled sample gets {@code {}}. */
  private static Map<String, Double> parse(String text) {
    Map<String, Double> out = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int sp = line.lastIndexOf(' ');
      String sample = line.substring(0, sp);
      if (!sample.contains("{")) sample += "{}";
      out.put(sample.replace(",}", "}"), Double.parseDouble(line.substring(sp + 1)));
    }
    return out;
  }
}
