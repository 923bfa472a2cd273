package dev.hicache.l1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The copy calibration's benchmark main in its dry-run mode (host-memory L1, regular-page L2, the
 * persistent embedded L3): a small trace with a returning conversation makes it load back from L2
 * and from L3 and back up to both, and every copy it records belongs to a request.
 */
class CopyCalibrationDryRunTest {

  @Test
  void dryRun_smallTrace_recordsLoadsBackupsAndL3Traffic(@TempDir Path dir) throws Exception {
    Path trace = dir.resolve("trace.jsonl");
    StringBuilder t = new StringBuilder();
    // Conversation 16 (blocks 16, 100, ...) takes two turns; conversations 32, 48 and 64 (three turns each, 38 new
    // pages a turn of 1 MiB pages of 64 tokens) push its pages out of a 48-page L1 and a 128-page L2, so its third
    // turn comes back from L3; conversation 7 is not in the slice (its id is not a multiple of 16).
    t.append(line(0, 1500, 0, 16, 100)).append(line(1, 2000, 0, 16, 100, 101, 102)).append(line(2, 1500, 0, 7, 300));
    for (int c : new int[] {32, 48, 64}) {
      for (int k = 0; k < 3; k++) t.append(line(3 + k, 3000, 0, c, 10 * c, 10 * c + 1, 10 * c + 2, 10 * c + 3, 10 * c + 4));
    }
    t.append(line(9, 3000, 0, 16, 100, 101, 102, 103, 104, 105)).append(line(10, 900, 0, 7));
    Files.writeString(trace, t);
    Path out = dir.resolve("out");
    CopyCalibration.main(new String[] {"--dry-run", "--trace", trace.toString(), "--out", out.toString(),
        "--every", "16", "--min-turns", "3", "--kv-heads", "1", "--device-pages", "48", "--host-pages", "128",
        "--l3-pages", "256", "--l3-dir", dir.resolve("l3").toString(), "--watch", "spin"});
    List<String> req = Files.readAllLines(out.resolve("requests.csv"));
    assertThat(req).hasSize(1 + 12);  // the twelve requests of conversations 16, 32, 48 and 64
    List<String> copies = Files.readAllLines(out.resolve("copies.csv"));
    Map<String, Long> kinds = copies.stream().skip(1).map(l -> l.split(",")[1])
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    assertThat(kinds).containsKeys("backup", "load", "l3_query", "l3_read", "l3_write");
    for (String l : copies.subList(1, copies.size())) {
      String[] f = l.split(",");
      assertThat(Integer.parseInt(f[0])).as(l).isBetween(0, 11);
      assertThat(Long.parseLong(f[6])).as(l).isPositive();
      assertThat(f[7]).as(l).isEqualTo("true");
      assertThat(Long.parseLong(f[8])).as("device time of %s (no CUDA events in a dry run)", l).isEqualTo(-1);
    }
    // Each request's pages go down both tiers inside its own window: under write_through every page
    // backed up to L2 is written to L3 before the next request starts.
    Map<String, Integer> pagesByRequestAndKind = new java.util.HashMap<>();
    for (String l : copies.subList(1, copies.size())) {
      String[] f = l.split(",");
      pagesByRequestAndKind.merge(f[0] + "/" + f[1], Integer.parseInt(f[2]), Integer::sum);
    }
    for (int i = 0; i < 12; i++) {
      assertThat(pagesByRequestAndKind.getOrDefault(i + "/l3_write", 0)).as("L3-written pages of request %d", i)
          .isEqualTo(pagesByRequestAndKind.getOrDefault(i + "/backup", 0));
    }
    // The last request (turn three of conversation 16) found its history in L3.
    String[] last = req.get(12).split(",");
    assertThat(Integer.parseInt(last[6])).as("storage hit tokens of the last request").isPositive();
    assertThat(Files.readString(out.resolve("run.json"))).contains("\"dry_run\": true");
  }

  @Test
  void readTrace_badLine_namesFileAndLine(@TempDir Path dir) throws Exception {
    Path trace = dir.resolve("t.jsonl");
    Files.writeString(trace, line(0, 100, 0, 16) + "{\"timestamp\": 1, \"input_length\": 9999, \"hash_ids\": [0]}\n");
    assertThatThrownBy(() -> CopyCalibration.readTrace(trace)).hasMessageContaining(trace + ":2:")
        .hasMessageContaining("input_length 9999");
  }

  private static String line(long ts, int len, int... ids) {
    StringBuilder b = new StringBuilder("{\"timestamp\": " + ts + ", \"input_length\": " + len
        + ", \"output_length\": 10, \"hash_ids\": [");
    for (int i = 0; i < ids.length; i++) b.append(i > 0 ? ", " : "").append(ids[i]);
    return b.append("]}\n").toString();
  }
}
