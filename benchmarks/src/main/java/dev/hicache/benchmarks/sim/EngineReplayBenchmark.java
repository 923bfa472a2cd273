package dev.hicache.benchmarks.sim;

import dev.hicache.simulator.cli.Main;
import dev.hicache.simulator.trace.TraceTiler;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code ./hicache simulate} on Mooncake's conversation trace, warm: one operation is one whole run
 * of the full engine with the default configuration (8 instances, L1 + L2 + a shared L3,
 * deterministic shell, cost model) over the trace (12,031 requests, 2,256,643 page references at
 * 64-token pages), as the command line runs it ({@code simulate --trace FILE --no-report --format
 * json}, output dropped; the trace is read from the page cache). Page events per second = page
 * references / (seconds per op): 2,256,643 for the trace, {@code copies} times that for its copies. The trace is read from {@code -Dhicache.trace=FILE}, by default
 * {@code ../shared/traces/conversation_trace.jsonl} beside the repository root ({@link SharedTrace}).
 *
 * <p>{@code readAhead}: {@code true} is the default (the trace is read and every prompt's page keys
 * hashed on a second thread); {@code false} is the baseline in the same run, the engine hashing the
 * keys itself on the replay thread ({@code -Dhicache.readAhead=false}). {@link #l1Only} (the
 * {@code --l1-only} replay of the same trace) is there for scale.
 *
 * <p>{@code copies}: the trace as it is (1), or that many copies of it one after another in time,
 * each with block ids of its own ({@link TraceTiler}, written to a temporary file at setup): {@code
 * -p copies=10} is the ten-hour trace at the same load (120,310 requests, 22,566,430 page
 * references) that a user's days-long trace stands for (docs/simulator.md#a-longer-trace).
 *
 * <p>Run from the repository root (or pass -Dhicache.trace=FILE): {@code java -jar
 * benchmarks/target/benchmarks.jar EngineReplayBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmn1g", "--enable-native-access=ALL-UNNAMED"})
public class EngineReplayBenchmark {
  /**
   * The L3 ({@code --l3}): local = the embedded store, process-private (the default);
   * memory = the in-memory LRU pool model.
   */
  @Param({"local", "memory"})
  public String l3;

  @Param({"true", "false"})
  public String readAhead;

  /** How many copies of the trace, one after another ({@link TraceTiler}); 1 = the trace itself. */
  @Param({"1"})
  public int copies;

  private String trace;
  private Path tiled;
  private final PrintWriter none = new PrintWriter(OutputStream.nullOutputStream());
  private final PrintWriter err = new PrintWriter(System.err, true);

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    trace = SharedTrace.conversationTrace().toString();
    if (copies > 1) {
      tiled = Files.createTempFile("hicache-trace-x" + copies + "-", ".jsonl");
      TraceTiler.Tiled t = TraceTiler.tile(Path.of(trace), tiled, copies, 64);
      System.err.println("trace: " + copies + " copies of " + trace + " in " + tiled + ": " + t.requests() + " requests, "
          + t.pageReferences() + " page references");
      trace = tiled.toString();
    }
    System.setProperty("hicache.readAhead", readAhead);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    if (tiled != null) Files.deleteIfExists(tiled);
  }

  private int simulate(String... args) {
    int code = Main.run(args, none, err);
    if (code != Main.EX_OK) throw new IllegalStateException("simulate exited with " + code);
    return code;
  }

  @Benchmark
  public int fullEngine() {
    return simulate("simulate", "--trace", trace, "--l3", l3, "--no-report", "--format", "json");
  }

  @Benchmark
  public int l1Only() {
    return simulate("simulate", "--l1-only", "--trace", trace, "--no-report", "--format", "json");
  }
}
