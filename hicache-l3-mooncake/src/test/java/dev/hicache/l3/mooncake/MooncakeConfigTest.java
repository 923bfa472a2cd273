package dev.hicache.l3.mooncake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SGLang's Mooncake configuration: sources, precedence, defaults, sizes (docs/behaviour.md#mooncake-configuration). */
class MooncakeConfigTest {
  @TempDir Path dir;

  private static Map<String, String> env(String... kv) {
    var m = new HashMap<String, String>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  @Test
  void environment_withOnlyTheMaster_takesSglangDefaults() {
    var c = MooncakeConfig.load(env("MOONCAKE_MASTER", "10.0.0.1:50051"), Map.of());
    assertThat(c.masterServerAddress()).isEqualTo("10.0.0.1:50051");
    assertThat(c.localHostname()).isEqualTo("localhost");
    assertThat(c.metadataServer()).isEqualTo("P2PHANDSHAKE");
    assertThat(c.globalSegmentSize()).isEqualTo(4L << 30);
    assertThat(c.localBufferSize()).isEqualTo(16L << 20);
    assertThat(c.protocol()).isEqualTo("tcp");
    assertThat(c.deviceName()).isEmpty();
    assertThat(c.extraBackendTag()).isNull();
    assertThat(c.source()).isEqualTo("the environment");
  }

  @Test
  void environment_everyVariableIsRead() {
    var c = MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_LOCAL_HOSTNAME", "node7",
        "MOONCAKE_TE_META_DATA_SERVER", "http://127.0.0.1:8080/metadata", "MOONCAKE_GLOBAL_SEGMENT_SIZE", "8gb",
        "MOONCAKE_LOCAL_BUFFER_SIZE", "33554432", "MOONCAKE_PROTOCOL", "rdma", "MOONCAKE_DEVICE", "mlx5_0,mlx5_1"), Map.of());
    assertThat(c).isEqualTo(new MooncakeConfig("node7", "http://127.0.0.1:8080/metadata", 8L << 30, 32L << 20, "rdma",
        "mlx5_0,mlx5_1", "m:1", null, "the environment"));
  }

  @Test
  void environment_legacyLocalHostname_isTheFallback() {
    assertThat(MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "LOCAL_HOSTNAME", "old"), Map.of()).localHostname())
        .isEqualTo("old");
    assertThat(MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "LOCAL_HOSTNAME", "old", "MOONCAKE_LOCAL_HOSTNAME", "new"),
        Map.of()).localHostname()).isEqualTo("new");
  }

  @Test
  void environment_withoutTheMaster_saysWhatToSet() {
    assertThatThrownBy(() -> MooncakeConfig.load(env(), Map.of()))
        .isInstanceOf(MooncakeException.InvalidArgument.class)
        .hasMessageContaining("MOONCAKE_MASTER is not set")
        .hasMessageContaining("SGLANG_HICACHE_MOONCAKE_CONFIG_PATH");
  }

  @Test
  void badSize_namesTheVariableAndTheValue() {
    assertThatThrownBy(() -> MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_GLOBAL_SEGMENT_SIZE", "lots"), Map.of()))
        .hasMessageContaining("MOONCAKE_GLOBAL_SEGMENT_SIZE = \"lots\"").hasMessageContaining("the environment");
    assertThatThrownBy(() -> MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_LOCAL_BUFFER_SIZE", "-5"), Map.of()))
        .hasMessageContaining("MOONCAKE_LOCAL_BUFFER_SIZE = \"-5\"");
    assertThatThrownBy(() -> MooncakeConfig.parseSize("x", "99999999999gb", "t")).hasMessageContaining("too large");
  }

  @Test
  void sizes_sglangSyntax_andMooncakesSupersetWithAWarning() {
    qt().forAll(integers().between(0, 4096)).checkAssert(n ->
        assertThat(MooncakeConfig.parseSize("s", n + "gb", "t")).isEqualTo((long) n << 30));
    qt().forAll(longs().between(0, Long.MAX_VALUE)).checkAssert(n ->
        assertThat(MooncakeConfig.parseSize("s", String.valueOf(n), "t")).isEqualTo(n));
    assertThat(MooncakeConfig.parseSize("s", " 4GB ", "t")).isEqualTo(4L << 30);
    assertThat(MooncakeConfig.parseSize("s", 1024L, "t")).isEqualTo(1024);
    assertThat(MooncakeConfig.parseSize("s", "1.5gb", "t")).isEqualTo(3L << 29);
    assertThat(MooncakeConfig.parseSize("s", "512mb", "t")).isEqualTo(512L << 20);
    assertThat(MooncakeConfig.parseSize("s", "2t", "t")).isEqualTo(2L << 40);
    assertThatThrownBy(() -> MooncakeConfig.parseSize("s", "4gib", "t")).hasMessageContaining("is not a size");
    assertThatThrownBy(() -> MooncakeConfig.parseSize("s", 1.5, "t")).hasMessageContaining("must be an integer");
  }

  @Test
  void file_winsOverTheEnvironment_andErrorsNameFileLineAndColumn() throws IOException {
    Path f = dir.resolve("mooncake.json");
    Files.writeString(f, """
        {
          "local_hostname": "10.1.1.1",
          "metadata_server": "http://10.1.1.2:8080/metadata",
          "global_segment_size": 1073741824,
          "protocol": "rdma",
          "device_name": {"0": "mlx5_0", "1": ["mlx5_1", "mlx5_2"]},
          "master_server_address": "10.1.1.2:50051"
        }
        """);
    var c = MooncakeConfig.load(env("SGLANG_HICACHE_MOONCAKE_CONFIG_PATH", f.toString(), "MOONCAKE_MASTER", "env:1"), Map.of());
    assertThat(c.masterServerAddress()).isEqualTo("10.1.1.2:50051");
    assertThat(c.globalSegmentSize()).isEqualTo(1L << 30);
    assertThat(c.deviceFor(0)).isEqualTo("mlx5_0");
    assertThat(c.deviceFor(1)).isEqualTo("mlx5_1,mlx5_2");
    assertThat(c.source()).isEqualTo("file " + f);

    Files.writeString(f, "{\n  \"master_server_address\": \"m:1\",\n  \"protocol\": tcp\n}\n");
    assertThatThrownBy(() -> MooncakeConfig.load(env("SGLANG_HICACHE_MOONCAKE_CONFIG_PATH", f.toString()), Map.of()))
        .hasMessageContaining(f + ":3:15");
    Files.writeString(f, "{\"protocol\": \"tcp\"}");
    assertThatThrownBy(() -> MooncakeConfig.load(env("SGLANG_HICACHE_MOONCAKE_CONFIG_PATH", f.toString()), Map.of()))
        .hasMessageContaining("master_server_address is required").hasMessageContaining(f.toString());
    assertThatThrownBy(() -> MooncakeConfig.load(env("SGLANG_HICACHE_MOONCAKE_CONFIG_PATH", dir.resolve("none.json").toString()), Map.of()))
        .hasMessageContaining("none.json").hasMessageContaining("cannot read");
  }

  @Test
  void extraConfigWithAMaster_winsOverFileAndEnvironment() {
    var c = MooncakeConfig.load(env("SGLANG_HICACHE_MOONCAKE_CONFIG_PATH", "/nonexistent.json", "MOONCAKE_MASTER", "env:1"),
        Map.of("master_server_address", "extra:1", "global_segment_size", "2gb", "extra_backend_tag", "prod"));
    assertThat(c.masterServerAddress()).isEqualTo("extra:1");
    assertThat(c.globalSegmentSize()).isEqualTo(2L << 30);
    assertThat(c.extraBackendTag()).isEqualTo("prod");
    // Without a master in the extra config, only its tag is used.
    var fromEnv = MooncakeConfig.load(env("MOONCAKE_MASTER", "env:1"), Map.of("extra_backend_tag", "prod"));
    assertThat(fromEnv.masterServerAddress()).isEqualTo("env:1");
    assertThat(fromEnv.extraBackendTag()).isEqualTo("prod");
  }

  @Test
  void dummyClientMode_isRefusedWithTheReason() {
    assertThatThrownBy(() -> MooncakeConfig.load(env("MOONCAKE_CLIENT", "127.0.0.1:50052"), Map.of()))
        .hasMessageContaining("dummy-client mode");
    assertThatThrownBy(() -> MooncakeConfig.load(env(), Map.of("client_server_address", "127.0.0.1:50052")))
        .hasMessageContaining("dummy-client mode");
  }

  @Test
  void globalSegment_isDividedAcrossTpTimesPpRanks() {
    var c = MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_GLOBAL_SEGMENT_SIZE", "16gb"), Map.of());
    assertThat(c.perRankSegmentSize(1, 1)).isEqualTo(16L << 30);
    assertThat(c.perRankSegmentSize(4, 1)).isEqualTo(4L << 30);
    assertThat(c.perRankSegmentSize(4, 2)).isEqualTo(2L << 30);
    SetupParams p = c.setupParams(3, 4, 2, Map.of());
    assertThat(p.globalSegmentSize()).isEqualTo(2L << 30);
    assertThat(p.localBufferSize()).isEqualTo(16L << 20);
    assertThatThrownBy(() -> c.setupParams(4, 4, 1, Map.of())).hasMessageContaining("tp_rank 4");
  }

  @Test
  void deviceMap_givesEachRankItsNics() {
    var c = MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_DEVICE", "{\"0\": \"mlx5_0\", \"1\": [\"mlx5_1\", \"mlx5_2\"]}"), Map.of());
    assertThat(c.deviceFor(0)).isEqualTo("mlx5_0");
    assertThat(c.deviceFor(1)).isEqualTo("mlx5_1,mlx5_2");
    assertThatThrownBy(() -> c.deviceFor(2)).hasMessageContaining("no entry for TP rank 2");
  }

  @Test
  void setupParams_refuseWhatWouldAbortTheProcess_namingTheVariableAndValue() {
    for (String bad : new String[] {"", "etcd://127.0.0.1:2379", "127.0.0.1:2379", "redis://h:1", "ftp://x"}) {
      var c = MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_TE_META_DATA_SERVER", bad), Map.of());
      assertThatThrownBy(() -> c.setupParams(0, 1, 1, Map.of()))
          .isInstanceOf(MooncakeException.InvalidArgument.class)
          .hasMessageContaining("MOONCAKE_TE_META_DATA_SERVER").hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("aborts the process");
    }
    var cxl = MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_PROTOCOL", "cxl"), Map.of());
    assertThatThrownBy(() -> cxl.setupParams(0, 1, 1, Map.of())).hasMessageContaining("MC_CXL_DEV_SIZE");
    assertThat(cxl.setupParams(0, 1, 1, Map.of("MC_CXL_DEV_SIZE", "8gb")).protocol()).isEqualTo("cxl");
    var upper = MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_PROTOCOL", "TCP"), Map.of());
    assertThatThrownBy(() -> upper.setupParams(0, 1, 1, Map.of())).hasMessageContaining("MOONCAKE_PROTOCOL")
        .hasMessageContaining("'TCP'");
    var blankHost = MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_LOCAL_HOSTNAME", " "), Map.of());
    assertThatThrownBy(() -> blankHost.setupParams(0, 1, 1, Map.of())).hasMessageContaining("MOONCAKE_LOCAL_HOSTNAME");
    for (String ok : new String[] {"P2PHANDSHAKE", "http://127.0.0.1:8080/metadata", "https://meta:443/metadata"}) {
      var c = MooncakeConfig.load(env("MOONCAKE_MASTER", "m:1", "MOONCAKE_TE_META_DATA_SERVER", ok), Map.of());
      assertThat(c.setupParams(0, 1, 1, Map.of()).metadataServer()).isEqualTo(ok);
    }
  }
}
