package dev.hicache.simulator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Jazzer over whole argument vectors of {@code ./hicache}: any flags, any values, any trace and
 * model file contents. Every input ends with exit code 0, 64, 65, 66 or 74 and at most a few lines
 * on stderr: never an internal error (70), never out of memory (71), never a stack trace.
 *
 * <p>Tests run as root, so the fuzzer never invents a path: every file argument ({@code --trace},
 * {@code --model-file}, {@code --report}, and those flags inside {@code --sweep}) is one of a few
 * names in its own scratch folder (a trace and a model file it writes, a directory, a FIFO, a
 * missing file), and a report is always either one of those or switched off. Sizes are kept small
 * by default flags the input may override, so that an input runs in milliseconds.
 *
 * <p>Without JAZZER_FUZZ=1 this replays the committed corpus
 * (src/test/resources/.../CliFuzzTestInputs/fuzzCommandLine); with JAZZER_FUZZ=1 it fuzzes for
 * 100,000 inputs (or 3 hours), the figures of such a run are in docs/benchmarks.md.
 */
class CliFuzzTest {
  private static final Path SCRATCH;
  private static final List<String> FILE_FLAGS = List.of("--trace", "--model-file", "--report");
  private static final List<String> NAMES = List.of("t.jsonl", "m.model", "r.html", "dir", "fifo", "missing.jsonl");
  private static final AtomicLong RUNS = new AtomicLong();
  private static final Map<Integer, AtomicLong> CODES = new java.util.concurrent.ConcurrentHashMap<>();

  static {
    try {
      SCRATCH = Files.createTempDirectory("hicache-cli-fuzz");
      Files.createDirectory(SCRATCH.resolve("dir"));
      try {
        new ProcessBuilder("mkfifo", SCRATCH.resolve("fifo").toString()).start().waitFor();
      } catch (IOException | InterruptedException e) {
        // no FIFO on this platform: "fifo" is then a missing file
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        System.err.println("CliFuzzTest: " + RUNS.get() + " inputs, exit codes " + new java.util.TreeMap<>(CODES));
        deleteTree(SCRATCH);
      }));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final String[] VALUES = {"", "0", "1", "-1", "2", "3", "4", "6", "7", "8", "16", "64", "100", "128",
      "512", "1000", "4096", "inf", "-inf", "NaN", "Infinity", "1e309", "1e-300",
      "0.5", "0.9", "1.5", "2.0", "-0.0", "9223372036854775807", "9223372036854775808", "2147483647", "2147483648",
      "-2147483648", "99999999999999999999", "1e18", "lru", "w-tinylfu", "memory", "local", "mooncake", "shared",
      "private", "trace", "multiturn", "synthetic", "json", "csv", "text", "asap", "timestamps", "write_back",
      "write_through", "write_through_selective", "best_effort", "timeout", "wait_complete", "mla", "mha", "bf16",
      "fp8_e4m3", "fp32", "llama-3-8b", "llama-3-70b", "deepseek-v3-like", "qwen3-14b", "h200-box", "a100-box",
      "round_robin", "random", "prefix_affinity", "lfu", "slru", "priority", "poisson", "uniform", "fifo", "1,2,3",
      "0,1,2147483647", "ff", "00", "x=y", "--", "-"};

  /** Each subcommand's options, from its own spec (built once: picocli's model is built by reflection). */
  private static final Map<String, List<OptionSpec>> OPTIONS = new java.util.HashMap<>();

  static {
    var subs = Main.commandLine().getSubcommands();
    for (String s : List.of("simulate", "page-keys", "hugepage-sizing")) {
      OPTIONS.put(s, List.copyOf(subs.get(s).getCommandSpec().options()));
    }
  }

  /** One command line for many inputs (see Main.run(CommandLine, ...)): building one costs more than most runs. */
  private static picocli.CommandLine commandLine;

  private static final List<String> SUBCOMMANDS = List.of("simulate", "simulate", "simulate", "simulate", "page-keys",
      "hugepage-sizing", "help", "--version", "bogus");

  @FuzzTest(maxDuration = "3h", maxExecutions = 100_000)
  void fuzzCommandLine(FuzzedDataProvider data) throws IOException {
    resetScratch();
    writeFiles(data);
    List<String> args = arguments(data);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    long t0 = System.nanoTime();
    if (commandLine == null) commandLine = Main.commandLine();
    int code = Main.run(commandLine, args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
    // hugepage-sizing keeps its unmatched arguments in a list of its own: never reuse after it.
    if (!args.get(0).equals("simulate") && !args.get(0).equals("page-keys")) commandLine = null;
    long ms = (System.nanoTime() - t0) / 1_000_000;
    if (ms > 2000) System.err.println("CliFuzzTest: slow input (" + ms + " ms): " + args);
    RUNS.incrementAndGet();
    CODES.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
    String e = err.toString();
    assertThat(e).as("stderr of %s", args).doesNotContain("\tat ", "OutOfMemoryError", "StackOverflowError",
        "internal error");
    if (args.get(0).equals("hugepage-sizing")) {
      // A port of Mooncake's sizing script: its own exit codes (2 usage, 1 does not fit) and 64 for a bad size.
      assertThat(code).as("exit code of %s: %s", args, e).isIn(0, 1, 2, 64);
    } else {
      assertThat(code).as("exit code of %s: %s", args, e).isIn(0, 64, 65, 66, 74);
    }
    if (code != 0) assertThat(e).as("an error says what was wrong: %s", args).contains("hicache");
    // Nothing but what the harness made, and the report it asked for.
    try (Stream<Path> s = Files.list(SCRATCH)) {
      for (Path p : s.toList()) {
        assertThat(p.getFileName().toString()).as("left in the scratch folder by %s", args)
            .isIn("t.jsonl", "m.model", "r.html", "dir", "fifo");
      }
    }
    assertThat(Files.isDirectory(SCRATCH.resolve("dir"))).isTrue();
  }

  private static void resetScratch() throws IOException {
    for (String n : List.of("t.jsonl", "m.model", "r.html")) Files.deleteIfExists(SCRATCH.resolve(n));
  }

  private static void writeFiles(FuzzedDataProvider data) throws IOException {
    if (data.consumeBoolean()) {
      Files.write(SCRATCH.resolve("t.jsonl"), data.consumeBoolean() ? data.consumeBytes(300) : trace(data));
    }
    if (data.consumeBoolean()) {
      StringBuilder m = new StringBuilder();
      String[] keys = {"num_hidden_layers", "num_key_value_heads", "head_dim", "dtype", "attention", "kv_lora_rank",
          "qk_rope_head_dim", "active_params_b", "weights_gb", "name", "num_attention_heads", "bogus"};
      int n = data.consumeInt(0, 8);
      for (int i = 0; i < n; i++) {
        m.append(keys[data.consumeInt(0, keys.length - 1)]).append(" = ").append(value(data)).append('\n');
      }
      if (data.consumeBoolean()) m.append(data.consumeString(40));
      Files.writeString(SCRATCH.resolve("m.model"), m.toString());
    }
    if (data.consumeBoolean()) Files.writeString(SCRATCH.resolve("r.html"), "an old report");
  }

  /** A small trace: mostly well-formed lines with interesting timestamps and lengths. */
  private static byte[] trace(FuzzedDataProvider data) {
    StringBuilder t = new StringBuilder();
    int lines = data.consumeInt(0, 6);
    long ts = data.pickValue(new Long[] {0L, 1_733_500_000_000L, 9_007_199_254_740_000L, 5L});
    for (int i = 0; i < lines; i++) {
      ts += data.pickValue(new Long[] {0L, 7L, 1000L, 60_000L, -3L, 40_000_000_000L});
      int len = data.consumeInt(1, 3000);
      t.append("{\"timestamp\": ").append(ts).append(", \"input_length\": ").append(len)
          .append(", \"output_length\": ").append(data.consumeInt(0, 50)).append(", \"hash_ids\": [");
      int ids = (len + 511) / 512 + (data.consumeInt(0, 9) == 0 ? 1 : 0);
      for (int k = 0; k < ids; k++) t.append(k == 0 ? "" : ", ").append(data.consumeInt(0, 20));
      t.append("]}\n");
    }
    return t.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String value(FuzzedDataProvider data) {
    return data.consumeInt(0, 9) == 0 ? data.consumeString(12) : data.pickValue(VALUES);
  }

  private static String fileValue(FuzzedDataProvider data) {
    return SCRATCH.resolve(data.pickValue(NAMES)).toString();
  }

  private static List<String> arguments(FuzzedDataProvider data) {
    String sub = data.pickValue(SUBCOMMANDS);
    List<String> args = new ArrayList<>();
    args.add(sub);
    List<OptionSpec> options = OPTIONS.getOrDefault(sub, List.of());
    Map<String, String> chosen = new LinkedHashMap<>();
    int n = data.consumeInt(0, 8);
    for (int i = 0; i < n && !options.isEmpty(); i++) {
      OptionSpec o = data.pickValue(options);
      String flag = o.longestName();
      if (flag.equals("--help") || flag.equals("--version")) {
        if (data.consumeInt(0, 30) == 0) chosen.put(flag, null);
        continue;
      }
      if (o.arity().max() == 0) {
        chosen.put(flag, null);
      } else if (FILE_FLAGS.contains(flag)) {
        chosen.put(flag, fileValue(data));
      } else if (flag.equals("--sweep")) {
        OptionSpec s = data.pickValue(options);
        String name = s.longestName().substring(2);
        StringBuilder v = new StringBuilder(name).append('=');
        int k = data.consumeInt(1, 3);
        for (int j = 0; j < k; j++) {
          v.append(j == 0 ? "" : ",").append(FILE_FLAGS.contains(s.longestName()) ? fileValue(data) : value(data));
        }
        chosen.put(flag, v.toString());
      } else {
        chosen.put(flag, value(data));
      }
    }
    if (sub.equals("simulate")) bound(chosen);
    for (Map.Entry<String, String> e : chosen.entrySet()) {
      args.add(e.getKey());
      if (e.getValue() != null) args.add(e.getValue());
    }
    // Now and then a stray word or a flag that does not exist.
    if (data.consumeInt(0, 15) == 0) args.add(data.pickValue(new String[] {"--bogus", "extra", "-x", "--trace"}));
    return args;
  }

  /**
   * Defaults that keep a run to milliseconds and every file in the scratch folder, each only where
   * the input did not choose that flag itself (so the input's own values are tried as given).
   */
  private static void bound(Map<String, String> c) {
    boolean l1Only = c.containsKey("--l1-only");
    if (!c.containsKey("--report") && !c.containsKey("--no-report")) c.put("--no-report", null);
    // Without --workload the run gets a trace (a trace selects the trace workload): the generated
    // default workload takes seconds.
    String workload = c.getOrDefault("--workload", "trace");
    if (!c.containsKey("--trace") && "trace".equals(workload)) c.put("--trace", SCRATCH.resolve("t.jsonl").toString());
    if (!l1Only) {
      c.putIfAbsent("--instances", "1");
      c.putIfAbsent("--l1-capacity-tokens", "4096");
      c.putIfAbsent("--l3-capacity-tokens", "64000");
    }
    if ("synthetic".equals(workload)) {
      c.putIfAbsent("--requests", "20");
      c.putIfAbsent("--prefix-length", "256");
      c.putIfAbsent("--suffix-length", "64");
      c.putIfAbsent("--prefixes", "4");
    } else if ("multiturn".equals(workload)) {
      c.putIfAbsent("--num-clients", "3");
      c.putIfAbsent("--num-rounds", "2");
      c.putIfAbsent("--request-length", "128");
      c.putIfAbsent("--output-length", "8");
      c.putIfAbsent("--sub-question-input-length", "0"); // = --request-length: short turns, many rounds stay cheap
    }
  }

  private static void deleteTree(Path p) {
    try (Stream<Path> s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(q -> {
        try {
          Files.deleteIfExists(q);
        } catch (IOException ignored) {
          // best effort at exit
        }
      });
    } catch (IOException ignored) {
      // best effort at exit
    }
  }
}
