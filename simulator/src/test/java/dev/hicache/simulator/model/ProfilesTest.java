package dev.hicache.simulator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProfilesTest {
  @Test
  void llama3_70b_is320KiBPerToken_asTheMooncakePaperStates() {
    assertThat(ModelProfile.preset("llama-3-70b").bytesPerTokenPerGpu(1)).isEqualTo(320 * 1024);
    // TP 8 splits the 8 KV heads: one head per GPU.
    assertThat(ModelProfile.preset("llama-3-70b").bytesPerTokenPerGpu(8)).isEqualTo(40 * 1024);
  }

  @Test
  void llama3_8b_is128KiBPerToken() {
    assertThat(ModelProfile.preset("llama-3-8b").bytesPerTokenPerGpu(1)).isEqualTo(128 * 1024);
  }

  @Test
  void mla_isOneLatentPerLayer_replicatedOverTp() {
    ModelProfile ds = ModelProfile.preset("deepseek-v3-like");
    assertThat(ds.bytesPerTokenPerGpu(1)).isEqualTo(61L * 576 * 2);
    assertThat(ds.bytesPerTokenPerGpu(8)).isEqualTo(61L * 576 * 2);
  }

  @Test
  void tpBeyondTheKvHeads_replicatesHeads() {
    ModelProfile q = ModelProfile.preset("qwen3-235b-like"); // 4 KV heads
    assertThat(q.bytesPerTokenPerGpu(8)).isEqualTo(q.bytesPerTokenPerGpu(4));
  }

  @Test
  void h100_deviceKv_isWhatHbmLeavesAfterWeights() {
    HardwareProfile h = HardwareProfile.preset("h100-box");
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    long expected = (long) ((80e9 * 0.88 - 16.1e9) / (128 * 1024));
    assertThat(h.deviceKvTokens(m, 1)).isEqualTo(expected);
    assertThat(h.prefillNanosPerToken(m, 2)).isLessThan(h.prefillNanosPerToken(m, 1));
    assertThatThrownBy(() -> h.deviceKvTokens(ModelProfile.preset("llama-3-70b"), 1))
        .hasMessageContaining("does not fit");
  }

  @Test
  void prefillTime_growsWithTheCachedTokensTheNewOnesAttendTo() {
    HardwareProfile h = HardwareProfile.preset("h100-box");
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    // 32 layers x 32 query heads x (128 + 128) dims x 2 FLOP per (query, key) pair.
    assertThat(m.attentionFlopPerTokenPair()).isEqualTo(2.0 * 32 * 32 * 256);
    assertThat(ModelProfile.attentionPairs(4, 0)).isEqualTo(10); // causal: 1 + 2 + 3 + 4
    assertThat(ModelProfile.attentionPairs(4, 100)).isEqualTo(410);
    long fresh = h.prefillNanos(m, 1, 2048, 0), afterCache = h.prefillNanos(m, 1, 2048, 30_000);
    assertThat(fresh).isGreaterThan(2048 * h.prefillNanosPerToken(m, 1));
    assertThat(afterCache).isGreaterThan(fresh);
    assertThat(h.prefillNanos(m, 1, 0, 30_000)).isZero();
    // TP splits the heads as it splits the weights.
    assertThat(h.attentionNanosPerTokenPair(m, 2)).isCloseTo(h.attentionNanosPerTokenPair(m, 1) / 2,
        org.assertj.core.api.Assertions.within(1e-12));
    // DeepSeek-V3 prefill: 128 heads x (128 + 64 + 128) dims.
    assertThat(ModelProfile.preset("deepseek-v3-like").attentionFlopPerTokenPair()).isEqualTo(2.0 * 61 * 128 * 320);
  }

  @Test
  void unknownPresets_listTheKnownOnes() {
    assertThatThrownBy(() -> ModelProfile.preset("x")).hasMessageContaining("llama-3-8b");
    assertThatThrownBy(() -> HardwareProfile.preset("x")).hasMessageContaining("h100-box");
  }
}
