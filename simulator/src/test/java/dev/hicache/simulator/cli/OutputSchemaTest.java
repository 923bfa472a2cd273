package dev.hicache.simulator.cli;

import static dev.hicache.simulator.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hicache.simulator.cli.MainTest.Run;
import dev.hicache.simulator.report.EngineReport;
import dev.hicache.simulator.report.L1Report;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One schema per output kind: the same keys in every run, typed values, null where a key does not apply. */
class OutputSchemaTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Path trace(Path dir) throws IOException {
    Path t = dir.resolve("t.jsonl");
    StringBuilder sb = new StringBuilder();
    int[] order = {1, 2, 1, 3, 2, 1};
    for (int i = 0; i < order.length; i++) {
      sb.append("{\"timestamp\":").append(i * 5_000).append(",\"input_length\":2000,\"output_length\":5,\"hash_ids\":[");
      for (int b = 0; b < 4; b++) sb.append(b == 0 ? "" : ",").append(order[i] * 100 + b);
      sb.append("]}\n");
    }
    Files.writeString(t, sb.toString());
    return t;
  }

  private static String[] base(Path dir, String... more) throws IOException {
    List<String> a = new ArrayList<>(List.of("simulate", "--trace", trace(dir).toString(), "--instances", "1",
        "--l1-capacity-tokens", "4096", "--no-report"));
    a.addAll(List.of(more));
    if (!a.contains("--l2-capacity-tokens") && !a.contains("--sweep")) a.addAll(List.of("--l2-capacity-tokens", "8192"));
    return a.toArray(String[]::new);
  }

  /** Every row of every CSV sweep has the header's columns, and the header is the documented one. */
  @Test void csvSweeps_everyRowMatchesTheHeader(@TempDir Path dir) throws IOException {
    List<String[]> sweeps = List.of(
        base(dir, "--format", "csv", "--l2-capacity-tokens", "8192", "--l3-capacity-tokens", "64000", "--sweep",
            "l3=local,memory,mooncake"),
        base(dir, "--format", "csv", "--sweep", "l2-capacity-tokens=0,8192,16384"),
        base(dir, "--format", "csv", "--l2-capacity-tokens", "8192", "--sweep", "l3-capacity-tokens=0,6400,64000"),
        base(dir, "--format", "csv", "--l2-capacity-tokens", "8192", "--sweep",
            "hicache-write-policy=write_through,write_back"),
        new String[] {"simulate", "--workload", "multiturn", "--num-clients", "4", "--num-rounds", "3",
            "--request-length", "256", "--output-length", "16", "--l1-capacity-tokens", "4096", "--no-report",
            "--format", "csv", "--sweep", "hicache-storage-prefetch-policy=best_effort,wait_complete,timeout"});
    for (String[] args : sweeps) {
      Run r = run(args);
      assertThat(r.code()).as(r.err()).isZero();
      List<String> lines = r.out().lines().toList();
      List<String> header = csv(lines.get(0));
      assertThat(header.subList(1, header.size())).as(String.join(" ", args)).isEqualTo(EngineReport.KEYS);
      assertThat(lines).hasSizeGreaterThan(2);
      for (String line : lines.subList(1, lines.size())) {
        List<String> row = csv(line);
        assertThat(row).as(line).hasSameSizeAs(header);
        for (String v : row) assertThat(v).as(line).isNotEqualTo("-").isNotEqualTo("null");
      }
    }
    Run l1 = run("simulate", "--l1-only", "--trace", trace(dir).toString(), "--format", "csv", "--sweep",
        "l1-capacity-tokens=1000,inf");
    List<String> lines = l1.out().lines().toList();
    assertThat(csv(lines.get(0)).subList(1, L1Report.KEYS.size() + 1)).isEqualTo(L1Report.KEYS);
    for (String line : lines) assertThat(csv(line)).hasSize(L1Report.KEYS.size() + 1);
  }

  /** JSON: the same keys in every run; numbers are numbers, booleans booleans, and absent values null. */
  @Test void json_sameKeysTypedValues(@TempDir Path dir) throws IOException {
    List<String[]> runs = List.of(base(dir, "--format", "json"),
        base(dir, "--format", "json", "--l3", "mooncake"),
        base(dir, "--format", "json", "--l3-capacity-tokens", "0"),
        base(dir, "--format", "json", "--l2-capacity-tokens", "0"),
        new String[] {"simulate", "--workload", "multiturn", "--num-clients", "4", "--num-rounds", "3",
            "--request-length", "256", "--output-length", "16", "--l1-capacity-tokens", "4096", "--no-report",
            "--format", "json"});
    List<String> expected = new ArrayList<>(EngineReport.KEYS);
    expected.addAll(List.of("group_by", "groups"));
    for (String[] args : runs) {
      Run r = run(args);
      assertThat(r.code()).as(r.err()).isZero();
      JsonNode n = JSON.readTree(r.out());
      List<String> keys = new ArrayList<>();
      n.fieldNames().forEachRemaining(keys::add);
      assertThat(keys).as(String.join(" ", args)).isEqualTo(expected);
      for (Iterator<java.util.Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        var e = it.next();
        if (e.getValue().isTextual()) {
          assertThat(e.getValue().asText()).as(e.getKey()).isNotIn("-", "true", "false", "null")
              .doesNotMatch("-?[0-9]+(\\.[0-9]+)?");
        }
      }
      assertThat(n.get("decode_offload").isBoolean()).isTrue();
      assertThat(n.get("token_hit_ratio").isNumber()).isTrue();
      assertThat(n.get("wall_seconds").isNumber()).isTrue();
    }
    JsonNode noL3 = JSON.readTree(run(base(dir, "--format", "json", "--l3-capacity-tokens", "0")).out());
    assertThat(noL3.get("l3_hit_ratio").isNull()).isTrue();
    assertThat(noL3.get("l3_backend").isNull()).isTrue();
    assertThat(noL3.get("prefetch_terminated_complete").isNull()).isTrue();
    JsonNode withL3 = JSON.readTree(run(base(dir, "--format", "json", "--l3", "memory")).out());
    assertThat(withL3.get("prefetch_terminated_complete").isNumber()).isTrue();
    assertThat(withL3.get("prefetch_skipped_rate_limited").isNumber()).isTrue();
    assertThat(withL3.get("mooncake_eviction_ratio").isNull()).isTrue();
    JsonNode l1 = JSON.readTree(run("simulate", "--l1-only", "--trace", trace(dir).toString(), "--format", "json",
        "--l1-capacity-tokens", "inf").out());
    List<String> keys = new ArrayList<>();
    l1.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).isEqualTo(L1Report.KEYS);
    assertThat(l1.get("capacity_tokens").isNull()).isTrue();
  }

  /** The schema document names every key of both kinds. */
  @Test void schemaDocument_namesEveryKey() throws IOException {
    Path doc = Stream.of(Path.of("docs/output-schema.md"), Path.of("../docs/output-schema.md"))
        .filter(Files::isRegularFile).findFirst().orElseThrow();
    String text = Files.readString(doc);
    for (String k : EngineReport.KEYS) assertThat(text).as(k).contains("`" + k + "`");
    for (String k : L1Report.KEYS) assertThat(text).as(k).contains("`" + k + "`");
  }

  /** One CSV line's fields (RFC 4180 quoting). */
  static List<String> csv(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          f.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          f.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(f.toString());
        f.setLength(0);
      } else {
        f.append(c);
      }
    }
    out.add(f.toString());
    return out;
  }
}
