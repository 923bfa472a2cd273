package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.MemLayout;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.metrics.HiCacheMetric;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every metric the engine reports is declared in {@link HiCacheMetric}, with the kind it is reported as. */
class MetricNamesTest {
  @Test
  void engineRuns_everyReportedMetric_isDeclaredWithItsKind() {
    Random rnd = new Random(7);
    for (WritePolicyKind policy : WritePolicyKind.values()) {
      EngineScript s = new EngineScript(policy, "lru", MemLayout.LAYER_FIRST, 5, 3.0, true);
      s.l3 = new InMemoryL3StoreDouble();
      List<Integer> actions = new ArrayList<>();
      for (int k = 0; k < 200; k++) actions.add(rnd.nextInt(Integer.MAX_VALUE));
      s.run(actions);
      s.metrics.counters().keySet().forEach(k -> check(k, HiCacheMetric.Kind.COUNTER));
      s.metrics.gauges().keySet().forEach(k -> check(k, HiCacheMetric.Kind.GAUGE));
    }
  }

  private static void check(String key, HiCacheMetric.Kind kind) {
    int brace = key.indexOf('{');
    HiCacheMetric m = HiCacheMetric.byKey(brace < 0 ? key : key.substring(0, brace));
    assertThat(m).as("declared metric for " + key).isNotNull();
    assertThat(m.kind()).as(key).isEqualTo(kind);
    assertThat(brace >= 0).as("label of " + key).isEqualTo(m.labelName() != null);
  }

  @Test
  void exportNames_allCarryThePrefixAndAreUnique() {
    assertThat(List.of(HiCacheMetric.values())).allSatisfy(m -> assertThat(m.exportName()).startsWith("hicache_"));
    assertThat(List.of(HiCacheMetric.values()).stream().map(HiCacheMetric::exportName).distinct().count())
        .isEqualTo(HiCacheMetric.values().length);
  }
}
