package dev.hicache.simulator.cli;

import dev.hicache.api.spi.EvictionPolicy;
import dev.hicache.core.tree.EvictionPolicies;
import dev.hicache.simulator.replay.L1OnlyReplay;
import dev.hicache.simulator.replay.L1ReplayResult;
import dev.hicache.simulator.report.L1Report;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Replays a workload through the cache and reports hit ratios. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Replay a Mooncake trace through the HiCache radix tree and report the token hit ratio.",
      "With no arguments: the bundled Mooncake FAST'25 conversation trace, L1 only, at a",
      "3,000,000-token L1 (the paper's 3M-token local cache)."
    })
public final class SimulateCommand implements Callable<Integer> {
  /** The paper's local-cache line (FAST'25 Figure 9). */
  static final long DEFAULT_L1_CAPACITY_TOKENS = 3_000_000L;
  static final String BUNDLED_TRACE = "traces/conversation_trace.jsonl";

  enum Format { text, json }

  @Spec CommandSpec spec;

  @Option(names = "--l1-only",
      description = "Device tier only, in record order (the frozen semantics of the reference values).")
  boolean l1Only;

  @Option(names = "--trace", paramLabel = "FILE",
      description = "Mooncake JSONL trace (default: the bundled conversation trace).")
  Path trace;

  @Option(names = "--page-size", paramLabel = "P", defaultValue = "64",
      description = "Tokens per page; must divide the trace's 512-token blocks (default ${DEFAULT-VALUE}).")
  int pageSize;

  @Option(names = "--l1-capacity-tokens", paramLabel = "N|inf", converter = TokenCount.class,
      description = "L1 (device) capacity in tokens: an integer (3000000, 3M) or inf (default 3M).")
  Long l1CapacityTokens;

  @Option(names = "--radix-eviction-policy", paramLabel = "POLICY", defaultValue = "lru",
      description = "lru (default), lfu, fifo, mru, filo, priority, slru.")
  String evictionPolicy;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
      description = "text (default) or json.")
  Format format;

  @Override public Integer call() throws IOException {
    if (pageSize < 1 || MooncakeTraceReader.MOONCAKE_BLOCK_SIZE % pageSize != 0) {
      throw usage("Invalid value for option '--page-size': '" + pageSize
          + "' (must divide the trace's 512-token blocks: 1, 2, 4, ..., 64, ..., 512)");
    }
    EvictionPolicy policy;
    try {
      policy = EvictionPolicies.byName(evictionPolicy);
    } catch (IllegalArgumentException e) {
      throw usage("Invalid value for option '--radix-eviction-policy': '" + evictionPolicy
          + "' (expected one of " + String.join(", ", EvictionPolicies.names()) + ")");
    }
    long capacity = l1CapacityTokens == null ? DEFAULT_L1_CAPACITY_TOKENS : l1CapacityTokens;
    if (capacity != TokenCount.INFINITE && capacity / pageSize > Integer.MAX_VALUE) {
      throw usage("Invalid value for option '--l1-capacity-tokens': '" + capacity
          + "' (more than " + Integer.MAX_VALUE + " pages; use inf)");
    }
    Path tracePath = trace != null ? trace : bundledTrace();
    if (!Files.isRegularFile(tracePath)) {
      if (trace != null) {
        throw usage("Invalid value for option '--trace': '" + trace + "' (no such file)");
      }
      throw usage("no --trace given and the bundled trace is missing at " + tracePath);
    }

    L1OnlyReplay replay = new L1OnlyReplay(pageSize, capacity, policy, MooncakeTraceReader.MOONCAKE_BLOCK_SIZE);
    L1ReplayResult result;
    try (MooncakeTraceReader reader = MooncakeTraceReader.open(tracePath)) {
      result = replay.replay(reader);
    }
    String note = l1Only ? null
        : "the full engine (L1+L2+L3 in virtual time) is not wired into this command yet;"
            + " this is the L1-only replay (--l1-only)";
    PrintWriter out = spec.commandLine().getOut();
    L1Report report = new L1Report(tracePath.toString(), policy.flagName(), result, note);
    out.print(format == Format.json ? report.json() : report.text());
    out.flush();
    return Main.EX_OK;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** The trace bundled with the project, found from the launcher's directory. */
  static Path bundledTrace() {
    String home = System.getProperty("hicache.home");
    return home == null ? Path.of(BUNDLED_TRACE) : Path.of(home).resolve(BUNDLED_TRACE);
  }
}
