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
    // Conversation 16 (blocks 16, 100..) takes three turns, each one longer; conversation 32 runs in between and
    // pushes it out of a 48-page L1 and a 64-page L2 (1 MiB pages of 64 tokens), so turn three comes back from
    // L2 and L3; conversation 7 is not in the slice (its id is not a multiple of 16).
    t.append(line(0, 1500, 0, 16, 100)).append(line(1, 2000, 0, 16, 100, 101, 102))
        .append(line(2, 1500, 0, 7, 300)).append(line(3, 3000, 0, 32, 200, 201, 202, 203, 204))
        .append(line(4, 2400, 0, 32, 200, 201, 202, 203)).append(line(5, 2500, 0, 32, 200, 201, 202, 203, 204))
        .append(line(6, 3000, 0, 16, 100, 101, 102, 103, 104, 105)).append(line(7, 900, 0, 7));
    Files.writeString(trace, t);
    Path out = dir.resolve("out");
    CopyCalibration.main(new String[] {"--dry-run", "--trace", trace.toString(), "--out", out.toString(),
        "--every", "16", "--min-turns", "3", "--kv-heads", "1", "--device-pages", "48", "--host-pages", "64",
        "--l3-pages", "256", "--l3-dir", dir.resolve("l3").toString()});
    List<String> req = Files.readAllLines(out.resolve("requests.csv"));
    assertThat(req).hasSize(1 + 6);  // the six requests of conversations 16 and 32
    List<String> copies = Files.readAllLines(out.resolve("copies.csv"));
    Map<String, Long> kinds = copies.stream().skip(1).map(l -> l.split(",")[1])
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    assertThat(kinds).containsKeys("backup", "load", "l3_query", "l3_read", "l3_write");
    for (String l : copies.subList(1, copies.size())) {
      String[] f = l.split(",");
      assertThat(Integer.parseInt(f[0])).as(l).isBetween(0, 5);
      assertThat(Long.parseLong(f[6])).as(l).isPositive();
      assertThat(f[7]).as(l).isEqualTo("true");
    }
    // The last request (turn three of conversation 16) found its history below L1.
    String[] last = req.get(6).split(",");
    assertThat(Integer.parseInt(last[5])).as("host hit tokens of the last request").isPositive();
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
