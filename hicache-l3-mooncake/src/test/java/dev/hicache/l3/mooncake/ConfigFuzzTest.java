package dev.hicache.l3.mooncake;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Jazzer fuzz tests of what users type: the JSON config reader, SGLang's configuration on top of it,
 * and the size syntax. Bad input must be a clear {@link MooncakeException.InvalidArgument} (or, from
 * the JSON reader, an IllegalArgumentException naming line and column), never another exception.
 * Without JAZZER_FUZZ they replay the seed corpus under src/test/resources/.../ConfigFuzzTestInputs;
 * with JAZZER_FUZZ=1 they fuzz for real.
 */
class ConfigFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void configFile(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    Object json;
    try {
      json = Json.parse(text, "fuzz.json");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).matches("(?s)fuzz\\.json:\\d+:\\d+: .+");
      return;
    }
    if (!(json instanceof Map<?, ?> m)) return;
    @SuppressWarnings("unchecked") Map<String, ?> map = (Map<String, ?>) m;
    try {
      MooncakeConfig c = MooncakeConfig.load(Map.of(), map);
      SetupParams p = c.setupParams(0, 2, 1, Map.of());
      assertThat(p.globalSegmentSize()).isBetween(0L, SetupParams.MAX_SEGMENT_BYTES);
      assertThat(SetupParams.isSupportedMetadata(p.metadataServer())).isTrue();
      assertThat(SetupParams.PROTOCOLS).contains(p.protocol());
    } catch (MooncakeException.InvalidArgument | MooncakeException.InvalidString expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @FuzzTest(maxDuration = "30s")
  void sizes(byte[] data) {
    String s = new String(data, StandardCharsets.UTF_8);
    long v;
    try {
      v = MooncakeConfig.parseSize("MOONCAKE_GLOBAL_SEGMENT_SIZE", s, "fuzz");
    } catch (MooncakeException.InvalidArgument e) {
      assertThat(e.getMessage()).startsWith("MOONCAKE_GLOBAL_SEGMENT_SIZE = \"" + s + "\" (fuzz) ");
      return;
    }
    assertThat(v).isNotNegative();
    if (s.strip().matches("\\d{1,18}")) assertThat(v).isEqualTo(Long.parseLong(s.strip()));
  }
}
