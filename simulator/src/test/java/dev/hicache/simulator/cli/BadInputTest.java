package dev.hicache.simulator.cli;

import static dev.hicache.simulator.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hicache.simulator.cli.MainTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad inputs and misuses, one class per test: each ends in one line that names what the user
 * gave, with the exit code of the README's table, and leaves nothing behind.
 */
class BadInputTest {
  private static Path smallTrace(Path dir) throws IOException {
    return OutputSchemaTest.trace(dir);
  }

  private static void assertOneCleanLine(Run r, int code, String... parts) {
    assertThat(r.code()).as(r.err()).isEqualTo(code);
    assertThat(r.err()).contains(parts).doesNotContain("Exception", "\tat ", "OutOfMemoryError");
  }

  private static List<Path> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  // ---------------------------------------------------------------- report targets

  @Test void report_nonRegularTargets_refusedBeforeTheRun(@TempDir Path dir) throws Exception {
    Path t = smallTrace(dir);
    Files.createDirectory(dir.resolve("adir"));
    List<String[]> cases = new ArrayList<>();
    cases.add(new String[] {dir.resolve("adir").toString(), "is a directory"});
    cases.add(new String[] {dir.resolve("no/such/r.html").toString(), "does not exist"});
    cases.add(new String[] {"/", "root"});
    if (Files.exists(Path.of("/dev/null"))) cases.add(new String[] {"/dev/null", "character device"});
    Process p = new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).start();
    if (p.waitFor() == 0) cases.add(new String[] {dir.resolve("fifo").toString(), "FIFO"});
    for (String[] c : cases) {
      for (String mode : List.of("--l1-only", "--instances")) {
        List<String> args = new ArrayList<>(List.of("simulate", "--trace", t.toString(), "--report", c[0]));
        if (mode.equals("--l1-only")) args.add(mode);
        else args.addAll(List.of(mode, "1", "--l1-capacity-tokens", "4096", "--l2-capacity-tokens", "8192"));
        Run r = run(args.toArray(String[]::new));
        assertOneCleanLine(r, Main.EX_USAGE, "--report", "'" + c[0] + "'", c[1]);
        // Refused before the run: nothing was printed.
        assertThat(r.out()).isEmpty();
      }
    }
    if (Files.exists(Path.of("/dev/null"))) assertThat(Files.isRegularFile(Path.of("/dev/null"))).isFalse();
    assertThat(entries(dir)).allSatisfy(e -> assertThat(e.getFileName().toString()).doesNotEndWith(".tmp"));
  }

  @Test void report_existingFile_isReplacedAndSaysSo(@TempDir Path dir) throws IOException {
    Path html = dir.resolve("r.html");
    Files.writeString(html, "old");
    Run r = run("simulate", "--trace", smallTrace(dir).toString(), "--l1-only", "--report", html.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("report: replaced " + html.toAbsolutePath());
    assertThat(Files.readString(html)).startsWith("<!DOCTYPE html>");
    assertThat(entries(dir)).hasSize(2);
    assertThat(run("simulate", "--no-report", "--report", html.toString()).err()).contains("--no-report");
  }

  // ---------------------------------------------------------------- trace timestamps

  @Test void timestamps_epochMillis_replayRelativeToTheFirstRecord(@TempDir Path dir) throws IOException {
    Path t = dir.resolve("epoch.jsonl");
    long t0 = 1_733_500_000_000L;
    Files.writeString(t, "{\"timestamp\":" + t0 + ",\"input_length\":600,\"output_length\":1,\"hash_ids\":[1,2]}\n"
        + "{\"timestamp\":" + (t0 + 90_000) + ",\"input_length\":600,\"output_length\":1,\"hash_ids\":[1,3]}\n");
    Run r = run("simulate", "--trace", t.toString(), "--instances", "1", "--l1-capacity-tokens", "4096",
        "--l2-capacity-tokens", "8192", "--format", "json", "--report", dir.resolve("r.html").toString());
    assertThat(r.code()).as(r.err()).isZero();
    // 90 s apart: virtual time ends after 90 s, not 55 years after 1970.
    double virtual = MainTest.jsonNumber(r.out(), "virtual_seconds");
    assertThat(virtual).isBetween(90.0, 100.0);
    // Drawn over seconds (a 90 s span), not over the decades since 1970.
    assertThat(Files.readString(dir.resolve("r.html"))).contains("Hit ratio by tier over time",
        "seconds since the first arrival");
  }

  @Test void timestamps_absurdSpans_areFileLineErrors(@TempDir Path dir) throws IOException {
    for (long late : new long[] {9_007_199_254_740_991L, 40_000_000_000L, 367L * 24 * 3600 * 1000}) {
      Path t = dir.resolve("span.jsonl");
      Files.writeString(t, "{\"timestamp\":0,\"input_length\":600,\"output_length\":1,\"hash_ids\":[1,2]}\n"
          + "{\"timestamp\":5,\"input_length\":600,\"output_length\":1,\"hash_ids\":[1,2]}\n"
          + "{\"timestamp\":" + late + ",\"input_length\":600,\"output_length\":1,\"hash_ids\":[1,3]}\n");
      Run r = run("simulate", "--trace", t.toString(), "--instances", "1", "--l1-capacity-tokens", "4096",
          "--l2-capacity-tokens", "8192", "--no-report");
      assertOneCleanLine(r, Main.EX_DATAERR, t + ":3:", "timestamp " + late, "366 days");
      // asap ignores the timestamps: the same file replays.
      assertThat(run("simulate", "--trace", t.toString(), "--arrivals", "asap", "--instances", "1",
          "--l1-capacity-tokens", "4096", "--l2-capacity-tokens", "8192", "--no-report").code()).isZero();
    }
  }

  @Test void generatedArrivals_thatWouldOverflowVirtualTime_areRefused() {
    assertOneCleanLine(run("simulate", "--workload", "synthetic", "--request-rate", "1e-300", "--no-report"),
        Main.EX_USAGE, "--request-rate", "366 days");
    assertOneCleanLine(run("simulate", "--workload", "synthetic", "--requests", "1", "--request-rate", "5e-4",
        "--no-report"), Main.EX_USAGE, "--request-rate", "0.001");
    assertOneCleanLine(run("simulate", "--workload", "multiturn", "--request-rate", "Infinity", "--no-report"),
        Main.EX_USAGE, "--request-rate");
    // 10,000 requests (the default) at one per 1000 s: about 116 days, accepted; 400,000 would be 4.6 years.
    assertOneCleanLine(run("simulate", "--workload", "synthetic", "--requests", "400000", "--request-rate", "0.001",
        "--no-report"), Main.EX_USAGE, "--request-rate", "366 days");
  }

  // ---------------------------------------------------------------- sizes beyond memory

  @Test void sizesBeyondTheHeap_refusedWithTheFlagAndHowToGiveMore(@TempDir Path dir) throws IOException {
    String t = smallTrace(dir).toString();
    long heap = Runtime.getRuntime().maxMemory();
    String big = Long.toString(Math.min(Integer.MAX_VALUE / 2, heap / 9 * 2) / 64 * 64);
    List<String[]> cases = List.of(
        new String[] {"--l1-capacity-tokens", "simulate", "--trace", t, "--l1-capacity-tokens", big, "--hicache-ratio",
            "1.5", "--no-report"},
        new String[] {"--l3-capacity-tokens", "simulate", "--trace", t, "--l3-capacity-tokens", "9000000000000",
            "--no-report"},
        new String[] {"--requests", "simulate", "--workload", "synthetic", "--requests", "9000000000000", "--no-report"},
        new String[] {"--num-clients", "simulate", "--workload", "multiturn", "--num-clients", "2000000000",
            "--num-rounds", "1000", "--no-report"},
        new String[] {"--prefixes", "simulate", "--workload", "synthetic", "--prefixes", "2000000000",
            "--prefix-length", "100000", "--no-report"},
        new String[] {"--l1-capacity-tokens", "simulate", "--l1-only", "--trace", t, "--page-size", "512",
            "--l1-capacity-tokens", Long.toString(Math.min(heap / 4, Integer.MAX_VALUE) * 512)});
    for (String[] c : cases) {
      if (c[2].equals("--l1-only") && heap / 4 > Integer.MAX_VALUE) continue; // more pages than the replay indexes
      String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
      Run r = run(args);
      assertOneCleanLine(r, Main.EX_USAGE, c[0], "HICACHE_JAVA_OPTS=-Xmx", "heap");
    }
  }

  // ---------------------------------------------------------------- inputs that make no sense

  @Test void emptyTrace_isADataError(@TempDir Path dir) throws IOException {
    Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
    Path blank = Files.writeString(dir.resolve("blank.jsonl"), "\n\n   \n");
    assertOneCleanLine(run("simulate", "--trace", empty.toString(), "--no-report"), Main.EX_DATAERR, empty.toString(),
        "no records");
    assertOneCleanLine(run("simulate", "--l1-only", "--trace", empty.toString()), Main.EX_DATAERR, "no records");
    // Blank lines are not records either: the first one is named.
    assertOneCleanLine(run("simulate", "--trace", blank.toString(), "--no-report"), Main.EX_DATAERR, blank + ":1:");
    assertOneCleanLine(run("simulate", "--l1-only", "--trace", blank.toString()), Main.EX_DATAERR, blank + ":1:");
    assertThat(entries(dir)).hasSize(2);
  }

  @Test void tpThatSplitsKvHeads_isRefused() {
    for (String[] c : List.of(new String[] {"3", "8 KV heads"}, new String[] {"5", "8 KV heads"},
        new String[] {"6", "8 KV heads"}, new String[] {"7", "8 KV heads"}, new String[] {"16", "8 GPUs"})) {
      assertOneCleanLine(run("simulate", "--tp", c[0], "--no-report"), Main.EX_USAGE, "--tp", "'" + c[0] + "'", c[1]);
    }
    assertOneCleanLine(run("simulate", "--kv-heads", "6", "--tp", "4", "--no-report"), Main.EX_USAGE, "--tp",
        "6 KV heads");
  }

  @Test void flagsThatDoNotApply_areRefusedByName(@TempDir Path dir) throws IOException {
    String t = smallTrace(dir).toString();
    String[][] cases = {
        {"--num-clients", "simulate", "--trace", t, "--num-clients", "4"},
        {"--max-parallel", "simulate", "--workload", "synthetic", "--max-parallel", "4"},
        {"--zipf", "simulate", "--workload", "multiturn", "--zipf", "1.2"},
        {"--request-rate", "simulate", "--trace", t, "--request-rate", "3"},
        {"--trace", "simulate", "--workload", "synthetic", "--trace", t},
        {"--arrivals", "simulate", "--workload", "multiturn", "--arrivals", "asap"},
        {"--l3-eviction", "simulate", "--trace", t, "--l3", "memory", "--l3-eviction", "w-tinylfu"},
        {"--mooncake-eviction-ratio", "simulate", "--trace", t, "--mooncake-eviction-ratio", "0.1"},
        {"--host-link-gbps", "simulate", "--trace", t, "--host-link-gbps", "64"},
        {"--hicache-ratio", "simulate", "--trace", t, "--hicache-ratio", "3", "--l2-capacity-tokens", "9M"},
        {"--affinity-tokens", "simulate", "--trace", t, "--routing", "round_robin", "--affinity-tokens", "64"},
        {"--tp", "simulate", "--l1-only", "--trace", t, "--tp", "2"},
        {"--l3", "simulate", "--l1-only", "--trace", t, "--l3", "memory"},
        {"--prepopulate-l3", "simulate", "--l1-only", "--trace", t, "--prepopulate-l3"},
    };
    for (String[] c : cases) {
      List<String> args = new ArrayList<>(List.of(c).subList(1, c.length));
      if (!args.contains("--l1-only")) args.add("--no-report");
      assertOneCleanLine(run(args.toArray(String[]::new)), Main.EX_USAGE, "Option '" + c[0] + "'", "does not apply");
    }
    // A sweep over a flag that does not apply is refused the same way.
    assertOneCleanLine(run("simulate", "--trace", t, "--no-report", "--sweep", "num-clients=1,2"), Main.EX_USAGE,
        "--num-clients", "does not apply");
  }

  @Test void inputFiles_blameWhatTheUserGave(@TempDir Path dir) throws IOException {
    Files.createDirectory(dir.resolve("d"));
    assertOneCleanLine(run("simulate", "--trace", dir.resolve("d").toString(), "--no-report"), Main.EX_NOINPUT,
        "--trace", "is a directory");
    assertOneCleanLine(run("simulate", "--trace", dir.resolve("missing.jsonl").toString(), "--no-report"),
        Main.EX_NOINPUT, "--trace", "no such file");
    assertOneCleanLine(run("simulate", "--model-file", dir.resolve("d").toString(), "--no-report"), Main.EX_NOINPUT,
        "--model-file", "is a directory");
    // A model file whose model does not fit: the error names --model-file, never --model.
    Path m = Files.writeString(dir.resolve("huge.model"), "num_hidden_layers = 400\nnum_key_value_heads = 8\n"
        + "head_dim = 128\ndtype = bf16\nactive_params_b = 400\nweights_gb = 790\n");
    Run r = run("simulate", "--model-file", m.toString(), "--no-report");
    assertOneCleanLine(r, Main.EX_USAGE, "--model-file");
    assertThat(r.err()).doesNotContain("'--model'");
  }
}
