package dev.hicache.simulator.cli;

import static dev.hicache.simulator.cli.MainTest.concat;
import static dev.hicache.simulator.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hicache.simulator.SharedData;
import dev.hicache.simulator.cli.MainTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code --page-keys}: a trace's pages keyed by serial (the default) or by SGLang's hash of their
 * tokens give the same run (docs/simulator.md#page-keys) with every L3 backend, namespaces, routing,
 * PD decode offload and shared links. The runs replay the conversation trace's first 2,000 lines on
 * small tiers, so that L3 fills, evicts and serves hits; the whole JSON is compared but for the
 * wall-clock figures.
 */
class PageKeysOptionTest {
  private static String[] runOf(Path trace, String... more) {
    return concat(new String[] {"simulate", "--trace", trace.toString(), "--l1-capacity-tokens", "200000",
        "--l2-capacity-tokens", "400000", "--l3-capacity-tokens", "3M", "--format", "json", "--no-report"}, more);
  }

  private static Path head(Path dir) throws Exception {
    Path t = dir.resolve("head.jsonl");
    List<String> lines = Files.readAllLines(SharedData.conversationTrace());
    Files.write(t, lines.subList(0, 2000));
    return t;
  }

  private static JsonNode json(Run r) throws Exception {
    assertThat(r.code()).as(r.err()).isZero();
    return new ObjectMapper().readTree(r.out());
  }

  private static JsonNode results(JsonNode n) {
    if (n instanceof ArrayNode a) {
      ArrayNode c = a.deepCopy();
      for (JsonNode e : c) ((ObjectNode) e).remove(List.of("wall_seconds", "page_events_per_second"));
      return c;
    }
    ObjectNode c = ((ObjectNode) n).deepCopy();
    c.remove(List.of("wall_seconds", "page_events_per_second"));
    return c;
  }

  @Test
  void serialAndTokenKeys_giveTheSameRun(@TempDir Path dir) throws Exception {
    Path t = head(dir);
    List<String[]> setups = List.of(new String[] {}, new String[] {"--l3", "memory"},
        new String[] {"--l3", "mooncake", "--namespaces", "3"}, new String[] {"--l3-store", "real", "--routing", "round_robin"},
        new String[] {"--pd-decode-instances", "2", "--pd-decode-offload", "--l3-link", "shared"});
    for (String[] s : setups) {
      JsonNode serial = json(run(runOf(t, concat(s, "--page-keys", "serial"))));
      JsonNode tokens = json(run(runOf(t, concat(s, "--page-keys", "tokens"))));
      assertThat(serial.get("l3_hit_ratio").asDouble()).as("the L3 serves hits: " + String.join(" ", s)).isPositive();
      assertThat(results(serial)).as(String.join(" ", s)).isEqualTo(results(tokens));
      assertThat(results(json(run(runOf(t, s))))).as("the default: " + String.join(" ", s)).isEqualTo(results(serial));
    }
    // A sweep over the choice: its rows differ only in the swept value.
    ArrayNode rows = (ArrayNode) results(json(run(runOf(t, "--sweep", "page-keys=serial,tokens", "--sweep-jobs", "1"))));
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).get("page-keys").asText()).isEqualTo("serial");
    ((ObjectNode) rows.get(0)).remove("page-keys");
    ((ObjectNode) rows.get(1)).remove("page-keys");
    assertThat(rows.get(0)).isEqualTo(rows.get(1));
  }

  /** The settings picocli and the command make of these arguments. */
  private static SimulationSettings parsed(String... args) {
    SimulateCommand c = new SimulateCommand();
    CommandLine cl = new CommandLine(c);
    cl.parseArgs(args);
    c.spec = cl.getCommandSpec();
    return c.settings();
  }

  @Test
  void defaults_serialForATrace_tokensOtherwiseAndForWTinyLfu() {
    assertThat(parsed("--trace", "t.jsonl").pageKeysOrDefault()).isEqualTo(SimulationSettings.PageKeys.serial);
    assertThat(parsed("--trace", "t.jsonl", "--l3", "mooncake").pageKeysOrDefault()).isEqualTo(SimulationSettings.PageKeys.serial);
    assertThat(parsed("--trace", "t.jsonl", "--l3-eviction", "w-tinylfu").pageKeysOrDefault())
        .isEqualTo(SimulationSettings.PageKeys.tokens);
    assertThat(parsed("--trace", "t.jsonl", "--l3-eviction", "w-tinylfu", "--page-keys", "serial").pageKeysOrDefault())
        .isEqualTo(SimulationSettings.PageKeys.serial);
    assertThat(parsed().pageKeysOrDefault()).isEqualTo(SimulationSettings.PageKeys.tokens);
    assertThat(parsed("--workload", "synthetic").pageKeysOrDefault()).isEqualTo(SimulationSettings.PageKeys.tokens);
    assertThat(parsed("--trace", "t.jsonl", "--page-keys", "tokens").pageKeysOrDefault())
        .isEqualTo(SimulationSettings.PageKeys.tokens);
  }

  @Test
  void serialKeys_forAGeneratedWorkload_andUnknownNames_areRefused() {
    Run multiturn = run("simulate", "--num-clients", "2", "--page-keys", "serial", "--no-report");
    assertThat(multiturn.code()).as(multiturn.err()).isEqualTo(Main.EX_USAGE);
    assertThat(multiturn.err()).contains("Option '--page-keys' 'serial' does not apply here")
        .contains("only a trace's pages have serials");
    Run tokens = run("simulate", "--workload", "synthetic", "--requests", "20", "--page-keys", "tokens", "--no-report",
        "--format", "json");
    assertThat(tokens.code()).as(tokens.err()).isZero();
    Run bogus = run("simulate", "--num-clients", "2", "--page-keys", "hash", "--no-report");
    assertThat(bogus.code()).isEqualTo(Main.EX_USAGE);
    assertThat(bogus.err()).contains("--page-keys").contains("'hash'").contains("serial or tokens");
  }
}
