package dev.hicache.simulator.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.simulator.engine.EngineReplay;
import dev.hicache.simulator.engine.EngineResult;
import dev.hicache.simulator.engine.EngineSetup;
import dev.hicache.simulator.model.HardwareProfile;
import dev.hicache.simulator.model.ModelProfile;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkloadsTest {

  static MultiTurnWorkload.Params mt(int clients, int rounds, int maxParallel) {
    return new MultiTurnWorkload.Params(clients, rounds, 256, 0, 32, 4.0, maxParallel, "poisson", "random", 7);
  }

  /** Drives the workload with a fixed service time, as the engine would (closed loop). */
  @Test
  void multiTurn_historyGrowsByOutputAndFollowUp_eachTurnExtendsThePrevious() throws IOException {
    MultiTurnWorkload w = new MultiTurnWorkload(mt(8, 4, 3));
    Map<Long, int[]> last = new HashMap<>();
    Request r = new Request();
    int n = 0;
    long prevArrival = -1;
    java.util.PriorityQueue<Long> finishing = new java.util.PriorityQueue<>();
    while (w.next(r)) {
      n++;
      assertThat(r.arrivalNanos).isGreaterThanOrEqualTo(prevArrival);
      prevArrival = r.arrivalNanos;
      while (!finishing.isEmpty() && finishing.peek() <= r.arrivalNanos) finishing.poll();
      assertThat(finishing.size()).isLessThan(3); // max parallel
      assertThat(r.tokens).hasSize(256 + (r.group - 1) * (32 + 256));
      int[] prev = last.put(r.origin, r.tokens.clone());
      if (prev != null) assertThat(Arrays.copyOf(r.tokens, prev.length)).isEqualTo(prev);
      long finished = r.arrivalNanos + 50_000_000L;
      finishing.add(finished);
      w.completed(r, finished);
    }
    assertThat(n).isEqualTo(32);
  }

  @Test
  void multiTurn_badParameters_nameTheFlag() {
    assertThatThrownBy(() -> new MultiTurnWorkload.Params(0, 1, 1, 0, 1, 1, 1, "poisson", "random", 1))
        .hasMessageContaining("--num-clients");
    assertThatThrownBy(() -> new MultiTurnWorkload.Params(1, 1, 1, 0, 1, 1, 1, "bursty", "random", 1))
        .hasMessageContaining("--distribution").hasMessageContaining("bursty");
  }

  static EngineResult run(Workload w, long deviceTokens, long hostTokens) throws IOException {
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    HardwareProfile hw = HardwareProfile.preset("h100-box");
    EngineSetup setup = new EngineSetup(HiCacheConfig.builder().build(), m, hw, 1, m.shape(1, 64), deviceTokens,
        hostTokens, hw.prefillNanosPerToken(m, 1), 0);
    try (w) {
      return new EngineReplay(setup).run(w, null);
    }
  }

  /** The published HiCache shape: once L1 is too small for the histories, a host tier lifts later rounds. */
  @Test
  void multiTurn_smallDevice_hostTierRaisesLaterRoundsHitRatio() throws IOException {
    EngineResult gpuOnly = run(new MultiTurnWorkload(mt(32, 5, 8)), 8192, 0);
    EngineResult withL2 = run(new MultiTurnWorkload(mt(32, 5, 8)), 8192, 65536);
    assertThat(gpuOnly.hits().requests()).isEqualTo(160);
    double g = ratio(gpuOnly.groups().get(5)), h = ratio(withL2.groups().get(5));
    assertThat(h).isGreaterThan(g);
    assertThat(withL2.hits().hostTokens()).isPositive();
    assertThat(gpuOnly.hits().hostTokens()).isZero();
  }

  static double ratio(EngineResult.GroupStats g) {
    return (double) (g.deviceHitTokens() + g.hostHitTokens()) / g.promptTokens();
  }

  @Test
  void synthetic_poissonArrivalsAndSharedPrefixes() throws IOException {
    SyntheticWorkload w = new SyntheticWorkload(new SyntheticWorkload.Params(500, 10, 5, 1.2, 640, 64, 8, 3));
    Request r = new Request();
    long prev = -1;
    int n = 0;
    Map<Integer, Integer> firstTokens = new HashMap<>();
    while (w.next(r)) {
      assertThat(r.arrivalNanos).isGreaterThan(prev);
      prev = r.arrivalNanos;
      assertThat(r.tokens).hasSize(704);
      firstTokens.merge(r.tokens[0], 1, Integer::sum);
      n++;
    }
    assertThat(n).isEqualTo(500);
    assertThat(firstTokens).hasSizeLessThanOrEqualTo(5);
    // Zipf: the most popular prefix is drawn more often than a uniform share.
    assertThat(firstTokens.values().stream().mapToInt(Integer::intValue).max().orElseThrow()).isGreaterThan(100);
    // Mean gap ~ 1/rate: 500 requests at 10/s take about 50 s.
    assertThat(prev / 1e9).isBetween(30.0, 75.0);
    EngineResult res = run(new SyntheticWorkload(new SyntheticWorkload.Params(500, 10, 5, 1.2, 640, 64, 8, 3)), 1 << 16, 0);
    assertThat(res.hits().ratio()).isGreaterThan(0.8);
  }

  /**
   * The published HiCache shape (Mooncake's SGLang HiCache benchmark results): per-conversation
   * histories outgrow L1, so GPU-only < +L2 < +L3, and an L3 prepopulated by an earlier run is
   * best.
   */
  @Test
  void multiTurn_tierLadder_gpuOnlyBelowL2BelowL3BelowPrepopulatedL3() throws IOException {
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    HardwareProfile hw = HardwareProfile.preset("h100-box");
    MultiTurnWorkload.Params p = new MultiTurnWorkload.Params(48, 6, 1024, 0, 32, 16.0, 4, "poisson", "random", 3);
    double[] hit = new double[4];
    long[][] setups = {{20_000, 0, 0}, {20_000, 60_000, 0}, {20_000, 60_000, 2_000_000}, {20_000, 60_000, 2_000_000}};
    for (int i = 0; i < 4; i++) {
      HiCacheConfig config = HiCacheConfig.builder()
          .prefetchPolicy(dev.hicache.api.config.PrefetchPolicyKind.WAIT_COMPLETE).build();
      EngineSetup setup = new EngineSetup(config, m, hw, 1, m.shape(1, 64), setups[i][0], setups[i][1],
          hw.prefillNanosPerToken(m, 1), 0, 1, "round_robin", 1024, setups[i][2], "memory");
      EngineReplay replay = new EngineReplay(setup);
      EngineResult r = i == 3
          ? replay.runPrepopulated(() -> new MultiTurnWorkload(p), null)
          : replay.run(new MultiTurnWorkload(p), null);
      hit[i] = r.hits().ratio();
    }
    assertThat(hit[0]).as("GPU only < +L2: %s", Arrays.toString(hit)).isLessThan(hit[1]);
    assertThat(hit[1]).as("+L2 < +L3: %s", Arrays.toString(hit)).isLessThan(hit[2]);
    assertThat(hit[2]).as("+L3 < prepopulated L3: %s", Arrays.toString(hit)).isLessThan(hit[3]);
  }
}
