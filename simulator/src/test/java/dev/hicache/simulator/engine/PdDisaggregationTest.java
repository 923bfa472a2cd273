package dev.hicache.simulator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.simulator.model.HardwareProfile;
import dev.hicache.simulator.model.ModelProfile;
import dev.hicache.simulator.workload.MultiTurnWorkload;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * PD disaggregation (docs/behaviour.md#decode-side-offload): prefill instances never hold a turn's
 * output, so the next turn recomputes it unless the decode instances offload prompt + output to L3.
 */
class PdDisaggregationTest {
  private static EngineResult run(int decoders, boolean offload) throws IOException {
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    HardwareProfile hw = HardwareProfile.preset("h100-box");
    HiCacheConfig config = HiCacheConfig.builder().pageSize(64).prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).build();
    EngineSetup setup = new EngineSetup(config, m, hw, 1, m.shape(1, 64), 64 * 1024, 128 * 1024,
        hw.prefillNanosPerToken(m, 1), 20_000_000, 2, "round_robin", 1024, 100_000 * 64L, "memory", decoders,
        offload);
    // 8 clients x 4 rounds: 512-token first prompts, 256-token answers, 64-token follow-ups.
    var w = new MultiTurnWorkload(new MultiTurnWorkload.Params(8, 4, 512, 64, 256, 4.0, 4, "poisson", "random", 3));
    try (w) {
      return new EngineReplay(setup).run(w, null);
    }
  }

  @Test
  void decodeOffload_letsTheNextTurnHitTheAnswerInL3() throws IOException {
    EngineResult plain = run(2, false);
    EngineResult offload = run(2, true);
    assertThat(plain.hits().requests()).isEqualTo(32);
    assertThat(plain.decode().requests()).isEqualTo(32);
    assertThat(plain.decode().l3WritePages()).isZero();
    assertThat(offload.decode().l3WritePages()).isPositive();
    // Same prompts; only the offloaded answers add L3 hits on the prefill side.
    assertThat(offload.hits().promptTokens()).isEqualTo(plain.hits().promptTokens());
    assertThat(offload.hits().storageTokens()).isGreaterThan(plain.hits().storageTokens());
    assertThat(offload.hits().ratio()).isGreaterThan(plain.hits().ratio());
  }

  @Test
  void withoutPd_nothingIsDecodedApart() throws IOException {
    EngineResult r = run(0, false);
    assertThat(r.decode().requests()).isZero();
    assertThat(r.decode().l3WritePages()).isZero();
  }
}
