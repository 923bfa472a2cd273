package dev.hicache.benchmarks.engine;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.events.KvEvent;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.simulator.l3.MemoryL3Store;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
 * {@link HiCache} on the deterministic shell with L1, L2 and an in-memory L3: enqueue, admit,
 * extend, finish and poll per request, as the simulator's engine replay does.
 *
 * <p>{@code mode}: {@code off} = no metrics sink, no JFR events, no KV event listener (the
 * baseline); {@code on} = {@link InMemoryMetrics}, JFR events emitted (no recording running) and a
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
  static final int PS = 64;
  static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, PS);

  @Param({"off", "on", "recording", "metrics", "jfr", "kv"})
  public String mode;

  @Param({"true"})
  public boolean gcBetweenReplays;

  private int[][] prompts;
  private Recording recording;
  private final LongAdder events = new LongAdder();

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom r = new SplittableRandom(20261207L);
    int conversations = 400, turns = 6;
    int[][][] conv = new int[conversations][turns][];
    for (int c = 0; c < conversations; c++) {
      int[] prev = new int[0];
      for (int t = 0; t < turns; t++) {
        int add = 200 + r.nextInt(1000);
        int[] p = java.util.Arrays.copyOf(prev, prev.length + add);
        for (int i = prev.length; i < p.length; i++) p[i] = r.nextInt(128_000);
        conv[c][t] = p;
        prev = p;
      }
    }
    // Turn t of every conversation comes before turn t+1 of any; conversations interleave.
    prompts = new int[conversations * turns][];
    int n = 0;
    for (int t = 0; t < turns; t++) {
      int[] order = r.ints(0, conversations).distinct().limit(conversations).toArray();
      for (int c : order) prompts[n++] = conv[c][t];
    }
    if (mode.equals("recording")) {
      recording = new Recording();
      for (String e : new String[] {"Copy", "Prefetch", "Eviction", "ChecksumFailure"}) {
        recording.enable("dev.hicache." + e).withoutThreshold();
      }
      recording.setToDisk(true);
      recording.start();
    }
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
    boolean all = mode.equals("on") || mode.equals("recording");
    boolean metrics = all || mode.equals("metrics"), jfr = all || mode.equals("jfr"), kv = all || mode.equals("kv");
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).build();
    HiCache.Builder b = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS)
        .deterministic(CostModel.pcieGen5()).storage(new MemoryL3Store(1 << 20))
        .metrics(metrics ? new InMemoryMetrics() : MetricsSink.NONE).jfrEvents(jfr);
    if (kv) b.kvEvents((KvEvent e) -> events.increment());
    long cached = 0;
    try (HiCache cache = b.build()) {
      for (int i = 0; i < prompts.length; i++) {
        int[] p = prompts[i];
        cache.enqueue(i, p);
        cache.poll();
        for (int k = 0; k < 1000 && !cache.readyToAdmit(i); k++) {
          if (!cache.deterministicShell().runNext()) break;
          cache.poll();
        }
        CacheRequest q = cache.admit(i, p, 0);
        cached += q.deviceHitTokens() + q.hostHitTokens();
        if (!cache.extend(q, p.length)) {
          cache.abort(q);
        } else {
          cache.finish(q, p, p.length);
        }
        cache.poll();
      }
      cache.deterministicShell().drain();
    }
    return cached;
  }
}
