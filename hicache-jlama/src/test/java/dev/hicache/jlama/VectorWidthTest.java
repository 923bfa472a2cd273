package dev.hicache.jlama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tjake.jlama.util.MachineSpec;
import dev.hicache.jlama.engine.JlamaEngine;
import dev.hicache.jlama.model.LlamaWeights;
import org.junit.jupiter.api.Test;

/**
 * Jlama 0.8.4 reads past a head narrower than one of its vectors (AVX-512: 16 floats; stories260K's
 * heads are 8): the engine refuses such a model up front naming the JVM flag, and the JVMs the
 * project starts (tests, the launcher) narrow the vectors so every model here runs
 * (docs/jlama.md#vector-width-heads-narrower-than-one-vector).
 */
class VectorWidthTest {
  @Test void aHeadNarrowerThanOneVector_isRefused_namingTheFlag() {
    assertThatThrownBy(() -> JlamaEngine.checkVectorWidth(8, 16)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("head of 8 floats").hasMessageContaining("16 floats (512 bits")
        .hasMessageContaining("-XX:MaxVectorSize=32");
    assertThatThrownBy(() -> JlamaEngine.checkVectorWidth(4, 8)).hasMessageContaining("-XX:MaxVectorSize=16");
    assertThatCode(() -> JlamaEngine.checkVectorWidth(8, 8)).doesNotThrowAnyException();
    assertThatCode(() -> JlamaEngine.checkVectorWidth(24, 16)).doesNotThrowAnyException();
    assertThatCode(() -> JlamaEngine.checkVectorWidth(8, 0)).doesNotThrowAnyException();
  }

  @Test void theTestJvm_narrowsJlamasVectors_soAHeadOfEightRuns() {
    // surefire passes -XX:MaxVectorSize=32 (hicache.jlama.jvmArgs), as the launcher does
    assertThat(MachineSpec.VECTOR_TYPE).isNotEqualTo(MachineSpec.Type.AVX_512);
    try (var engine = LlamaWeights.random(1, 1, 2, 2, 8, 32, 64, 128).engine(); var seq = engine.newSequence()) {
      float[] logits = seq.forward(new int[] {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, 0);
      assertThat(logits).hasSize(64);
    }
  }
}
