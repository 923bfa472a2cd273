package dev.hicache.simulator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.DType;
import dev.hicache.simulator.model.ModelProfile;
import dev.hicache.simulator.model.ModelProfileFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Custom model profiles: shape flags over a preset, or a file; errors name the flag or file:line. */
class CustomModelTest {
  private static Path trace(Path dir) throws IOException {
    Path t = dir.resolve("t.jsonl");
    Files.writeString(t, "{\"timestamp\":0,\"input_length\":1024,\"output_length\":1,\"hash_ids\":[0,1]}\n".repeat(2));
    return t;
  }

  private static MainTest.Run simulate(Path dir, String... extra) throws IOException {
    String[] base = {"simulate", "--trace", trace(dir).toString(), "--l1-capacity-tokens", "4096",
        "--l3-capacity-tokens", "0", "--instances", "1", "--format", "json", "--no-report"};
    String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return MainTest.run(args);
  }

  @Test
  void shapeFlags_overrideThePreset(@TempDir Path dir) throws IOException {
    // 2 x 16 layers x 4 heads x 64 dims x 1 byte (fp8) = 8,192 bytes per token.
    MainTest.Run r = simulate(dir, "--layers", "16", "--kv-heads", "4", "--head-dim", "64", "--kv-dtype", "fp8_e4m3");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"kv_bytes_per_token\":8192", "llama-3-8b (custom)");
    // TP 2 splits the 4 KV heads.
    r = simulate(dir, "--layers", "16", "--kv-heads", "4", "--head-dim", "64", "--kv-dtype", "fp8_e4m3", "--tp", "2");
    assertThat(r.out()).contains("\"kv_bytes_per_token\":4096");
  }

  @Test
  void mlaFlags_makeOneLatentPerLayer_replicatedOverTp(@TempDir Path dir) throws IOException {
    MainTest.Run r = simulate(dir, "--attention", "mla", "--layers", "10", "--kv-lora-rank", "512",
        "--qk-rope-head-dim", "64", "--tp", "4");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"kv_bytes_per_token\":" + 10 * 576 * 2);
  }

  @Test
  void modelFile_isReadAndFlagsStillOverrideIt(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("m.properties");
    Files.writeString(f, """
        # a small GQA model
        name = tiny
        num_hidden_layers = 4
        num_key_value_heads: 2
        head_dim = 128
        dtype = fp16
        active_params_b = 0.5
        weights_gb = 1
        """);
    ModelProfile m = ModelProfileFile.read(f);
    assertThat(m.name()).isEqualTo("tiny");
    assertThat(m.dtype()).isEqualTo(DType.FP16);
    assertThat(m.bytesPerTokenPerGpu(1)).isEqualTo(2L * 4 * 2 * 128 * 2);
    MainTest.Run r = simulate(dir, "--model-file", f.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"kv_bytes_per_token\":4096");
    r = simulate(dir, "--model-file", f.toString(), "--layers", "8");
    assertThat(r.out()).contains("\"kv_bytes_per_token\":8192", "tiny (custom)");
  }

  @Test
  void modelFile_mla(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("mla.properties");
    Files.writeString(f, "layers=61\nkv_lora_rank=512\nqk_rope_head_dim=64\nactive_params_b=37\nweights_gb=671\n");
    ModelProfile m = ModelProfileFile.read(f);
    assertThat(m.mla()).isTrue();
    assertThat(m.bytesPerTokenPerGpu(8)).isEqualTo(ModelProfile.preset("deepseek-v3-like").bytesPerTokenPerGpu(8));
  }

  @Test
  void modelFile_attentionHeads_setPrefillsAttentionTerm(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("gqa.properties");
    Files.writeString(f, "layers=32\nkv_heads=8\nnum_attention_heads=32\nhead_dim=128\nactive_params_b=8\nweights_gb=16\n");
    ModelProfile m = ModelProfileFile.read(f);
    assertThat(m.attentionFlopPerTokenPair()).isEqualTo(ModelProfile.preset("llama-3-8b").attentionFlopPerTokenPair());
    // Without num_attention_heads the model is taken as MHA (query heads = KV heads).
    Files.writeString(f, "layers=32\nkv_heads=8\nhead_dim=128\nactive_params_b=8\nweights_gb=16\n");
    assertThat(ModelProfileFile.read(f).attentionHeads()).isEqualTo(8);
    Files.writeString(f, "layers=32\nkv_heads=8\nnum_attention_heads=12\nhead_dim=128\nactive_params_b=8\nweights_gb=16\n");
    assertThatThrownBy(() -> ModelProfileFile.read(f)).hasMessageContaining(f + ":3")
        .hasMessageContaining("multiple of num_key_value_heads");
    Files.writeString(f, "layers=32\nkv_heads=8\nhead_dim=128\nv_head_dim=128\nactive_params_b=8\nweights_gb=16\n");
    assertThatThrownBy(() -> ModelProfileFile.read(f)).hasMessageContaining(f + ":4").hasMessageContaining("mla");
    // MLA: qk_nope + qk_rope + v per head; DeepSeek-V3's dims by default.
    Files.writeString(f, "layers=61\nkv_lora_rank=512\nqk_rope_head_dim=64\nactive_params_b=37\nweights_gb=671\n");
    assertThat(ModelProfileFile.read(f).attentionFlopPerTokenPair())
        .isEqualTo(ModelProfile.preset("deepseek-v3-like").attentionFlopPerTokenPair());
    MainTest.Run r = simulate(dir, "--attention-heads", "0");
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--attention-heads", "'0'");
  }

  @Test
  void modelFileErrors_nameTheFileAndLine(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("bad.properties");
    Files.writeString(f, "layers = 4\nkv_heads = two\nhead_dim = 128\nactive_params_b = 1\nweights_gb = 1\n");
    assertThatThrownBy(() -> ModelProfileFile.read(f)).hasMessageContaining(f + ":2")
        .hasMessageContaining("num_key_value_heads").hasMessageContaining("'two'");
    Files.writeString(f, "layers = 4\nheads = 2\n");
    assertThatThrownBy(() -> ModelProfileFile.read(f)).hasMessageContaining(f + ":2: unknown key 'heads'");
    Files.writeString(f, "layers = 4\njust text\n");
    assertThatThrownBy(() -> ModelProfileFile.read(f)).hasMessageContaining(f + ":2: expected 'key = value'");
    Files.writeString(f, "layers = 4\nkv_heads = 2\nactive_params_b = 1\nweights_gb = 1\n");
    assertThatThrownBy(() -> ModelProfileFile.read(f)).hasMessageContaining(f + ": missing 'head_dim'");
    Files.writeString(f, "layers = 4\nkv_heads = 2\nhead_dim = 8\ndtype = int3\nactive_params_b = 1\nweights_gb = 1\n");
    assertThatThrownBy(() -> ModelProfileFile.read(f)).hasMessageContaining(f + ":4").hasMessageContaining("int3");
    MainTest.Run r = simulate(dir, "--model-file", f.toString());
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--model-file", f + ":4");
    r = simulate(dir, "--model-file", dir.resolve("none.properties").toString());
    assertThat(r.code()).isEqualTo(66);  // EX_NOINPUT: a file that is not there
    assertThat(r.err()).contains("--model-file", "none.properties");
  }

  @Test
  void badShapeFlags_nameTheFlagAndValue(@TempDir Path dir) throws IOException {
    MainTest.Run r = simulate(dir, "--layers", "0");
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--layers", "'0'");
    r = simulate(dir, "--kv-dtype", "int4");
    assertThat(r.err()).contains("--kv-dtype", "'int4'");
    r = simulate(dir, "--attention", "linear");
    assertThat(r.err()).contains("--attention", "'linear'");
    r = simulate(dir, "--attention", "mla");
    assertThat(r.err()).contains("--attention", "--kv-lora-rank");
  }

  @Test
  void pdFlags_badCombinationsNameTheFlag(@TempDir Path dir) throws IOException {
    MainTest.Run r = simulate(dir, "--pd-decode-offload");
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--pd-decode-offload", "--pd-decode-instances");
    r = simulate(dir, "--pd-decode-instances", "-1");
    assertThat(r.err()).contains("--pd-decode-instances", "'-1'");
    r = simulate(dir, "--pd-decode-instances", "1", "--pd-decode-offload"); // this run has no L3
    assertThat(r.err()).contains("--pd-decode-offload", "--l3-capacity-tokens");
    r = simulate(dir, "--pd-decode-instances", "1");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"decode_instances\":1", "\"decoded_requests\":2");
  }
}
