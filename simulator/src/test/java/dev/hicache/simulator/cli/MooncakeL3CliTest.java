package dev.hicache.simulator.cli;

import static dev.hicache.simulator.cli.MainTest.concat;
import static dev.hicache.simulator.cli.MainTest.jsonNumber;
import static dev.hicache.simulator.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.simulator.cli.MainTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code simulate --l3 mooncake}: the flags, the report's pool counters, sweeps over the backend. */
class MooncakeL3CliTest {

  /** Conversation 1, six others that push it out of L1 and L2, then conversation 1 again: 62 pages each. */
  private static String[] common(Path dir) throws IOException {
    Path t = dir.resolve("t.jsonl");
    StringBuilder sb = new StringBuilder();
    int[] order = {1, 2, 3, 4, 5, 6, 7, 1};
    for (int i = 0; i < order.length; i++) {
      sb.append("{\"timestamp\":").append(i * 10_000).append(",\"input_length\":4000,\"output_length\":5,\"hash_ids\":[");
      for (int b = 0; b < 8; b++) sb.append(b == 0 ? "" : ",").append(order[i] * 100 + b);
      sb.append("]}\n");
    }
    Files.writeString(t, sb.toString());
    return new String[] {"simulate", "--trace", t.toString(), "--instances", "1", "--l1-capacity-tokens", "8192",
        "--l2-capacity-tokens", "16384", "--hicache-storage-prefetch-policy", "wait_complete", "--no-report"};
  }

  @Test
  void mooncake_withRoom_servesFromL3_andReportsItsSettingsAndCounters(@TempDir Path dir) throws IOException {
    Run r = run(concat(common(dir), "--l3", "mooncake", "--l3-capacity-tokens", "100000", "--format", "json"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"l3_backend\":\"mooncake\"", "\"mooncake_lease_ttl_ms\":10000",
        "\"mooncake_eviction_high_watermark\":0.9", "\"mooncake_eviction_ratio\":0.05");
    assertThat(jsonNumber(r.out(), "l3_hit_ratio")).isPositive();
    assertThat(jsonNumber(r.out(), "l3_evictions")).as("7 x 62 pages fit in 1,562").isZero();
    assertThat(jsonNumber(r.out(), "l3_puts_failed_no_space")).isZero();
    Run text = run(concat(common(dir), "--l3", "mooncake", "--l3-capacity-tokens", "100000"));
    assertThat(text.out()).contains("Mooncake model (lease TTL 10,000 ms, eviction high watermark 0.9, eviction"
        + " ratio 0.05)", "L3 pool", "puts failed for no space");
  }

  @Test
  void mooncake_small_failsPutsWhenFull_andEvictsOnTheNextPass(@TempDir Path dir) throws IOException {
    // 100 pages: the second conversation's 62 pages find 38 free; the rest fail (NO_AVAILABLE_HANDLE),
    // and the master evicts at its next pass.
    Run r = run(concat(common(dir), "--l3", "mooncake", "--l3-capacity-tokens", "6400", "--format", "json"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(jsonNumber(r.out(), "l3_puts_failed_no_space")).isPositive();
    assertThat(jsonNumber(r.out(), "l3_evictions")).isPositive();
    assertThat(jsonNumber(r.out(), "l3_eviction_passes")).isPositive();
  }

  @Test
  void mooncake_prepopulated_theSecondRunHitsThePoolTheFirstFilled(@TempDir Path dir) throws IOException {
    Run r = run(concat(common(dir), "--l3", "mooncake", "--l3-capacity-tokens", "100000", "--prepopulate-l3",
        "--format", "json"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"l3_backend\":\"mooncake\"", "L3 prepopulated by a first run");
    // Every conversation's pages are in the pool before the reported run starts: each request's
    // L1/L2 miss is an L3 hit, and the reported run writes nothing new to it.
    assertThat(jsonNumber(r.out(), "l3_hit_ratio")).isGreaterThan(0.5);
    assertThat(jsonNumber(r.out(), "l3_puts_failed_no_space")).isZero();
  }

  @Test
  void mooncakeFlags_outOfRange_nameTheFlagAndValue(@TempDir Path dir) throws IOException {
    String[] c = common(dir);
    assertThat(run(concat(c, "--l3", "mooncake", "--mooncake-eviction-ratio", "1.5")).err())
        .contains("--mooncake-eviction-ratio", "'1.5'");
    assertThat(run(concat(c, "--l3", "mooncake", "--mooncake-eviction-high-watermark", "-0.1")).err())
        .contains("--mooncake-eviction-high-watermark", "'-0.1'");
    assertThat(run(concat(c, "--l3", "mooncake", "--mooncake-lease-ttl-ms", "-5")).err())
        .contains("--mooncake-lease-ttl-ms", "'-5'");
    assertThat(run(concat(c, "--l3", "s3")).err()).contains("--l3", "'s3'", "mooncake");
  }

  @Test
  void sweepOverTheBackend_keepsTheColumnsAligned(@TempDir Path dir) throws IOException {
    Run r = run(concat(common(dir), "--l3-capacity-tokens", "6400", "--sweep", "l3=memory,mooncake", "--format", "csv"));
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(3);
    List<String> header = csv(lines.get(0));
    int evictions = header.indexOf("l3_evictions");
    assertThat(evictions).isPositive();
    for (String line : lines) assertThat(csv(line)).hasSameSizeAs(header);
    assertThat(csv(lines.get(1)).get(evictions)).isEmpty();
    assertThat(Long.parseLong(csv(lines.get(2)).get(evictions))).isPositive();
    Run text = run(concat(common(dir), "--l3-capacity-tokens", "6400", "--sweep", "l3=memory,mooncake"));
    assertThat(text.out()).contains("sweep of --l3", "mooncake");
  }

  /** One CSV line's fields (RFC 4180 quoting). */
  private static List<String> csv(String line) {
    List<String> out = new java.util.ArrayList<>();
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
