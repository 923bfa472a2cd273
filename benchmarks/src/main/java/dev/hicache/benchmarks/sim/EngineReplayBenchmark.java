package dev.hicache.benchmarks.sim;

import dev.hicache.simulator.cli.Main;
import java.io.OutputStream;
import java.io.PrintWriter;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code ./hicache simulate} on Mooncake's conversation trace, warm: one operation is one whole run
 * of the full engine with the default configuration (8 instances, L1 + L2 + a shared L3,
 * deterministic shell, cost model) over the trace (12,031 requests, 2,256,643 page references at
 * 64-token pages), as the command line runs it ({@code simulate --trace FILE --no-report --format
 * json}, output dropped; the trace is read from the page cache). Page events per second =
 * 2,256,643 / (seconds per op). The trace is read from {@code -Dhicache.trace=FILE}, by default
 * {@code ../shared/traces/conversation_trace.jsonl} beside the repository root ({@link SharedTrace}).
 *
 * <p>{@code readAhead}: {@code true} is the default (the trace is read and every prompt's page keys
 * hashed on a second thread); {@code false} is the baseline in the same run, the engine hashing the
 * keys itself on the replay thread ({@code -Dhicache.readAhead=false}). {@link #l1Only} (the
 * {@code --l1-only} replay of the same trace) is there for scale.
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

  private String trace;
  private final PrintWriter none = new PrintWriter(OutputStream.nullOutputStream());
  private final PrintWriter err = new PrintWriter(System.err, true);

  @Setup(Level.Trial)
  public void setUp() {
    trace = SharedTrace.conversationTrace().toString();
    System.setProperty("hicache.readAhead", readAhead);
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
