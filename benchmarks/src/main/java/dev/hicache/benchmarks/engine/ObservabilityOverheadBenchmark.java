package dev.hicache.benchmarks.engine;

import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
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
 * The cost of observability on the engine (docs/observability.md#overhead): one operation replays
 * a multi-turn workload (400 conversations x 6 turns, 64-token pages, each turn the previous
 * prompt plus 200-1,200 new tokens, shuffled across conversations) through one metadata-only
 * {@code HiCache} ({@link ObservabilityReplay}) on the deterministic shell with L1, L2 and an
 * in-memory L3: enqueue, admit, extend, finish and poll per request, as the simulator's engine
 * replay does.
 *
 * <p>{@code mode}: {@code off} = no metrics sink, no JFR events, no KV event listener (the
 * baseline); {@code on} = {@code InMemoryMetrics}, JFR events emitted (no recording running) and a
 * KV event listener; {@code recording} = {@code on} plus a JFR recording of the HiCache events;
 * {@code metrics}, {@code jfr}, {@code kv} = one of the three alone, to see what each costs.
 *
 * <p>{@code gcBetweenReplays}: {@code true} (the default) runs a full GC before every replay,
 * outside the measured time, so that no replay is measured with a collection in it. One replay
 * allocates ~58 MB (~1.5 % more with everything on) in an eden of ~820 MB: without it the first
 * young collection (0.2-0.7 s of copying the live cache on the dev VM) fell into the 13th replay
 * of a fork, i.e. inside the measurement of the modes that allocate a little more and just
 * outside that of {@code off}, and alone made {@code on} look ~+19 % slower
 * (docs/benchmarks.md, observability overhead). The allocation itself is measured with {@code
 * -prof gc} ({@code gc.alloc.rate.norm}, bytes per replay); {@code -p gcBetweenReplays=false}
 * gives the earlier behaviour.
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar ObservabilityOverheadBenchmark -prof gc}
 *
 * <p>Each mode runs in forks of its own, so a comparison between modes carries the fork-to-fork
 * drift of a shared machine (±3.5 % after 26 paired rounds, docs/benchmarks.md), and the CPU
 * profiler counts the benchmark thread only, not the KV-event consumer's. {@link
 * ObservabilityPairedBenchmark} compares two modes inside one fork and counts the consumer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// A replay's CPU time falls until about the 20th replay of a fork (the JIT compiles and
// recompiles the engine's and the instrumented paths, on the same two cores): 20 warm-up replays
// leave the measurement to the compiled steady state of a serving engine.
@Warmup(iterations = 20)
@Measurement(iterations = 15)
@Fork(value = 3, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmn1g"})
public class ObservabilityOverheadBenchmark {
  @Param({"off", "on", "recording", "metrics", "jfr", "kv"})
  public String mode;

  @Param({"true"})
  public boolean gcBetweenReplays;

  private ObservabilityReplay replay;
  private Recording recording;

  @Setup(Level.Trial)
  public void setUp() {
    replay = new ObservabilityReplay(mode);
    if (mode.equals("recording")) recording = ObservabilityPairedBenchmark.startRecording();
  }

  @Setup(Level.Iteration)
  public void collectGarbage() {
    // SingleShotTime: one replay per iteration, so this runs, untimed, before each replay.
    if (gcBetweenReplays) System.gc();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (recording != null) recording.close();
  }

  @Benchmark
  public long replay() {
    return replay.applyAsLong(null);
  }
}
