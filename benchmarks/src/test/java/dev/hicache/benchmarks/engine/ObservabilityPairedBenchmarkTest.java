package dev.hicache.benchmarks.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * The paired benchmark's set-up (docs/benchmarks.md, observability overhead): each side's replay
 * comes from a class loader of its own, the KV consumer's CPU time reaches the caller, and
 * observability changes nothing the engine does.
 */
class ObservabilityPairedBenchmarkTest {
  @Test void isolatedReplays_areLoadedApart_andAgreeWithTheEngineUnobserved() throws ReflectiveOperationException {
    ToLongFunction<long[]> off = ObservabilityPairedBenchmark.load("off", true, "");
    ToLongFunction<long[]> on = ObservabilityPairedBenchmark.load("on", true, "");
    assertThat(off.getClass()).isNotSameAs(ObservabilityReplay.class);
    assertThat(off.getClass().getClassLoader()).isNotSameAs(on.getClass().getClassLoader());
    assertThat(off.getClass().getClassLoader()).isNotSameAs(ObservabilityReplay.class.getClassLoader());
    long[] offConsumer = {-1};
    long[] onConsumer = {-1};
    long offHits = off.applyAsLong(offConsumer);
    long onHits = on.applyAsLong(onConsumer);
    assertThat(onHits).as("tokens hit with everything on").isEqualTo(offHits).isPositive();
    assertThat(offConsumer[0]).as("no listener, no consumer thread").isZero();
    assertThat(onConsumer[0]).as("the consumer thread's CPU time, read on that thread").isPositive();
  }

  @Test void badArguments_areNamed() {
    assertThatThrownBy(() -> new ObservabilityReplay("everything")).hasMessageContaining("everything");
    assertThatThrownBy(() -> ObservabilityPairedBenchmark.load("on", false, "/x.jar"))
        .hasMessageContaining("/x.jar").hasMessageContaining("isolate=true");
    assertThatThrownBy(() -> ObservabilityPairedBenchmark.load("on", true, "/no/such/benchmarks.jar"))
        .hasMessageContaining("/no/such/benchmarks.jar");
  }
}
