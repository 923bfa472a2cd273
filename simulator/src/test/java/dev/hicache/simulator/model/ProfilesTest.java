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
  void unknownPresets_listTheKnownOnes() {
    assertThatThrownBy(() -> ModelProfile.preset("x")).hasMessageContaining("llama-3-8b");
    assertThatThrownBy(() -> HardwareProfile.preset("x")).hasMessageContaining("h100-box");
  }
}
