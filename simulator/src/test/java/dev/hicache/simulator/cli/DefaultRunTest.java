package dev.hicache.simulator.cli;

import static dev.hicache.simulator.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hicache.simulator.SharedData;
import dev.hicache.simulator.cli.MainTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job, {@code ./hicache simulate} with no arguments, runs on a workload the project
 * generates itself (docs/simulator.md#the-main-job): the same numbers every time, and histories
 * that outgrow L1 and then L2 so that every tier serves hits. A Mooncake trace is one flag away.
 */
class DefaultRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The two fields that measure the machine, not the simulation. */
  private static final String[] TIMING = {"wall_seconds", "page_events_per_second"};

  private static JsonNode first, second;

  /** The default run twice, as the launcher's AOT training runs it (JSON, no report file). */
  @BeforeAll static void runTheDefaultTwice() throws IOException {
    first = defaultRun();
    second = defaultRun();
  }

  private static JsonNode defaultRun() throws IOException {
    Run r = run("simulate", "--format", "json", "--no-report");
    assertThat(r.code()).as(r.err()).isZero();
    return JSON.readTree(r.out());
  }

  @Test void noArguments_runsTheGeneratedMultiTurnWorkload_deterministically() {
    assertThat(first.get("workload").asText()).startsWith("bench_multiturn: 512 clients x 8 rounds")
        .contains("seed 1");
    assertThat(first.get("requests").asLong()).isEqualTo(512 * 8);
    assertThat(first.get("group_by").asText()).isEqualTo("round");
    // The timing fields are there, and are all that may differ between two runs.
    for (String k : TIMING) assertThat(first.get(k).isNumber()).as(k).isTrue();
    ObjectNode a = first.deepCopy();
    ObjectNode b = second.deepCopy();
    a.remove(java.util.List.of(TIMING));
    b.remove(java.util.List.of(TIMING));
    assertThat(a).isEqualTo(b);
  }

  @Test void noArguments_everyTierServesHits() {
    double l1 = first.get("l1_hit_ratio").asDouble();
    double l2 = first.get("l2_hit_ratio").asDouble();
    double l3 = first.get("l3_hit_ratio").asDouble();
    assertThat(first.get("tiers").asText()).isEqualTo("L1+L2+L3");
    // Each tier's share is visible in the summary, not a rounding error (about 0.37, 0.24, 0.18).
    assertThat(l1).as("L1 share").isGreaterThan(0.05);
    assertThat(l2).as("L2 share").isGreaterThan(0.05);
    assertThat(l3).as("L3 share").isGreaterThan(0.05);
    // The histories outgrew L1 and then L2: both evicted.
    assertThat(first.get("evicted_l1_tokens").asLong()).isPositive();
    assertThat(first.get("evicted_l2_tokens").asLong()).isPositive();
    assertThat(first.get("token_hit_ratio").asDouble()).isCloseTo(l1 + l2 + l3,
        org.assertj.core.data.Offset.offset(0.00003)); // each rounded to 5 places
  }

  @Test void workloadTrace_withoutTrace_isRefusedAndSaysWhereTheTracesAre() {
    for (String[] args : new String[][] {{"simulate", "--workload", "trace", "--no-report"},
        {"simulate", "--l1-only"}}) {
      Run r = run(args);
      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(Main.EX_USAGE);
      assertThat(r.out()).isEmpty();
      assertThat(r.err().lines().findFirst().orElseThrow()).contains("'--trace=FILE'",
          "github.com/kvcache-ai/Mooncake", "FAST25-release/traces/", "conversation_trace.jsonl (multi-turn chat",
          "toolagent_trace.jsonl (agent and tool-use", "synthetic_trace.jsonl (a mix")
          .doesNotContain("Exception");
    }
  }

  @Test void traceAlone_selectsTheTraceWorkload(@TempDir Path dir) throws IOException {
    Path t = OutputSchemaTest.trace(dir);
    Run r = run("simulate", "--trace", t.toString(), "--instances", "1", "--l1-capacity-tokens", "4096",
        "--l2-capacity-tokens", "8192", "--format", "json", "--no-report");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(JSON.readTree(r.out()).get("workload").asText()).startsWith("Mooncake trace " + t);
  }

  /** The conversation trace is data handed to the project (read from ../shared), never committed. */
  @Test void theRepository_holdsNoTrace() {
    Path root = SharedData.repositoryRoot();
    assertThat(root.resolve("pom.xml")).as("the repository root").isRegularFile();
    assertThat(root.resolve("hicache")).as("the repository root").isRegularFile();
    assertThat(Files.exists(root.resolve("traces/conversation_trace.jsonl"))).isFalse();
    assertThat(Files.exists(root.resolve("traces"))).isFalse();
  }
}
