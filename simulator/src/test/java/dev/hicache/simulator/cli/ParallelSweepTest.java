package dev.hicache.simulator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A sweep's runs go on several threads; its output is that of the runs one after the other:
 * the same rows in the same order, less the fields that time the replay itself.
 */
class ParallelSweepTest {
  /** Small runs with every tier, the embedded L3 in each. */
  private static final List<String> ARGS = List.of("simulate", "--num-clients", "12", "--num-rounds", "3",
      "--request-length", "512", "--sub-question-input-length", "256", "--output-length", "32", "--instances", "2",
      "--l1-capacity-tokens", "4096", "--l2-capacity-tokens", "8192", "--l3-capacity-tokens", "64000", "--no-report");

  private static MainTest.Run sweep(String format, String sweep, String jobs) {
    List<String> a = new ArrayList<>(ARGS);
    a.addAll(List.of("--format", format, "--sweep", sweep, "--sweep-jobs", jobs));
    return MainTest.run(a.toArray(String[]::new));
  }

  /** The output less the replay's own timing (wall_seconds, page_events_per_second), in JSON or CSV. */
  static String untimed(String out) {
    return out.replaceAll("\"wall_seconds\":[0-9.]+", "\"wall_seconds\":_")
        .replaceAll("\"page_events_per_second\":[0-9]+", "\"page_events_per_second\":_");
  }

  @Test void json_sameAsOneAfterTheOther() {
    String sweep = "l2-capacity-tokens=6400,8192,16384,32768";
    MainTest.Run one = sweep("json", sweep, "1"), four = sweep("json", sweep, "4");
    assertThat(one.code()).as(one.err()).isZero();
    assertThat(four.code()).as(four.err()).isZero();
    assertThat(untimed(four.out())).isEqualTo(untimed(one.out())).contains("\"l2-capacity-tokens\":\"32768\"");
  }

  @Test void csv_sameRowsInTheSameOrder() {
    String sweep = "hicache-write-policy=write_through,write_back,write_through_selective";
    MainTest.Run one = sweep("csv", sweep, "1"), three = sweep("csv", sweep, "3");
    assertThat(three.code()).as(three.err()).isZero();
    List<String> a = csvUntimed(one.out()), b = csvUntimed(three.out());
    assertThat(b).isEqualTo(a).hasSize(4);
    assertThat(b.get(2)).startsWith("write_back,");
  }

  /** CSV rows with the two timing columns blanked. */
  private static List<String> csvUntimed(String csv) {
    List<String> lines = csv.lines().toList();
    List<String> header = List.of(lines.get(0).split(","));
    int wall = header.indexOf("wall_seconds"), rate = header.indexOf("page_events_per_second");
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      // The workload's description is quoted and holds commas: split outside quotes.
      String[] f = line.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", -1);
      if (!line.equals(lines.get(0))) {
        f[wall + (f.length - header.size())] = "_";
        f[rate + (f.length - header.size())] = "_";
      }
      out.add(String.join(",", f));
    }
    return out;
  }
}
