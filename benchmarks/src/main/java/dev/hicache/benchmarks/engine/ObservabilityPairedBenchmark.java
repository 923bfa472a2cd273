package dev.hicache.benchmarks.engine;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The observability overhead measured inside one fork (docs/benchmarks.md, observability
 * overhead): every operation replays the engine workload of {@link ObservabilityReplay} twice, once
 * in mode {@code base} (default {@code off}) and once in {@code mode}, in an order decided by a coin
 * flip, each on a fresh {@code HiCache}, after a full GC (untimed). Each replay's CPU time is the
 * benchmark thread's plus the KV-event consumer thread's (read on that thread at the cache's last
 * event: since its start, or for a thread reused from an earlier cache since that cache's last
 * event); the process's CPU time over the replay (JIT and JFR threads included) is recorded beside
 * it. {@code mode=off} against {@code base=off} is the A/A control: what the harness reads when
 * there is no difference.
 *
 * <p>Pairing inside one fork takes out what separate forks cannot: the machine's load drifting
 * between forks, and each fork's own JIT outcome. So that the two modes still do not share compiled
 * code or the JIT's type profiles (a metrics call site that saw both {@code MetricsSink.NONE} and
 * {@code InMemoryMetrics} compiles differently from one that saw one of them, as in a serving
 * engine), {@code isolate=true} (the default) loads each side's engine, HiCache and JCTools classes
 * included, in a class loader of its own: two copies of the code, profiled and compiled apart, in
 * one JVM. Only the JDK's classes are shared.
 *
 * <p>The result is printed by each fork when it ends, one {@code PAIR} line per measured operation
 * and one {@code PAIRED} summary line (the ratio of the CPU sums, {@code mode} over {@code base},
 * and the mean of the per-pair ratios with a 95 % t interval);
 * docs/benchmarks/results/observability-2026-12-07b/agg-paired.py pools the forks of a run. The
 * primary score (wall time of the two replays) is not the figure: it includes whatever else the
 * machine ran.
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar ObservabilityPairedBenchmark -p mode=on,off}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// As ObservabilityOverheadBenchmark: a replay's CPU time settles after about 20 replays per mode.
@Warmup(iterations = 20)
@Measurement(iterations = 30)
// Two replays allocate ~120 MB after each GC, well inside the 1 GB young generation; pre-touched,
// so that neither side pays first-touch page faults for the half of eden it allocates into.
@Fork(value = 3, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmn1g", "-XX:+AlwaysPreTouch",
    "--enable-native-access=ALL-UNNAMED"})
public class ObservabilityPairedBenchmark {
  @Param({"off"})
  public String base;

  @Param({"on", "off", "kv", "metrics", "jfr"})
  public String mode;

  @Param({"true"})
  public boolean isolate;

  /**
   * With {@code isolate}: the class path to load {@code base}'s replay from, {@code ""} for this
   * JVM's. Another build's benchmarks jar compares two versions of the code inside one fork.
   */
  @Param({""})
  public String baseClassPath;

  /** As {@link #baseClassPath}, for {@code mode}'s replay. */
  @Param({""})
  public String modeClassPath;

  private ToLongFunction<long[]> baseReplay, modeReplay;
  private Recording recording;
  private final SplittableRandom coin = new SplittableRandom();
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final ProcessCpu processCpu = new ProcessCpu();
  private final long[] consumer = new long[1];
  /**
   * The last operation: mode first?, then for base and for mode: benchmark thread + consumer CPU,
   * process CPU, consumer CPU (nanoseconds).
   */
  private final long[] last = new long[7];
  private final List<long[]> measured = new ArrayList<>();

  /** A JFR recording of the HiCache events, started: what {@code recording} mode runs under. */
  static Recording startRecording() {
    Recording r = new Recording();
    for (String e : new String[] {"Copy", "Prefetch", "Eviction", "ChecksumFailure"}) {
      r.enable("dev.hicache." + e).withoutThreshold();
    }
    r.setToDisk(true);
    r.start();
    return r;
  }

  @Setup(Level.Trial)
  public void setUp() throws ReflectiveOperationException {
    baseReplay = load(base, isolate, baseClassPath);
    modeReplay = load(mode, isolate, modeClassPath);
    if (base.equals("recording") || mode.equals("recording")) recording = startRecording();
  }

  /**
   * A replay in {@code mode}; with {@code isolate}, its classes (all but the JDK's) loaded by a class
   * loader of its own from {@code classPath}, or from this JVM's class path if that is empty.
   */
  @SuppressWarnings("unchecked")
  static ToLongFunction<long[]> load(String mode, boolean isolate, String classPath) throws ReflectiveOperationException {
    if (!isolate) {
      if (!classPath.isEmpty()) throw new IllegalArgumentException("a class path (" + classPath + ") needs isolate=true");
      return new ObservabilityReplay(mode);
    }
    String[] entries = (classPath.isEmpty() ? System.getProperty("java.class.path") : classPath).split(File.pathSeparator);
    URL[] urls = new URL[entries.length];
    for (int i = 0; i < entries.length; i++) {
      Path entry = Path.of(entries[i]);
      if (!Files.exists(entry)) throw new IllegalArgumentException("class path entry " + entry + " does not exist");
      try {
        urls[i] = entry.toUri().toURL();
      } catch (MalformedURLException e) {
        throw new IllegalStateException("class path entry " + entries[i] + " is not a valid URL", e);
      }
    }
    ClassLoader loader = new URLClassLoader("replay-" + mode, urls, ClassLoader.getPlatformClassLoader());
    Class<?> c = Class.forName(ObservabilityReplay.class.getName(), true, loader);
    if (c == ObservabilityReplay.class) throw new IllegalStateException("the replay was not loaded apart: " + loader);
    return (ToLongFunction<long[]>) c.getConstructor(String.class).newInstance(mode);
  }

  /**
   * The process's CPU time in nanoseconds: {@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)} through
   * the FFM API where the C library has it (Linux), since the management bean's process CPU time
   * comes in 10 ms steps there, a quarter of one replay.
   */
  static final class ProcessCpu {
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;
    private final MethodHandle clockGettime;
    private final MemorySegment timespec;
    private final com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    ProcessCpu() {
      Linker linker = Linker.nativeLinker();
      clockGettime = linker.defaultLookup().find("clock_gettime")
          .map(f -> linker.downcallHandle(f,
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS)))
          .orElse(null);
      timespec = Arena.global().allocate(16, 8);
    }

    long nanos() {
      if (clockGettime == null) return os.getProcessCpuTime();
      int rc;
      try {
        rc = (int) clockGettime.invokeExact(CLOCK_PROCESS_CPUTIME_ID, timespec);
      } catch (Throwable t) {
        throw new IllegalStateException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed", t);
      }
      if (rc != 0) throw new IllegalStateException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) returned " + rc);
      return timespec.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + timespec.get(ValueLayout.JAVA_LONG, 8);
    }
  }

  @Setup(Level.Iteration)
  public void collectGarbage() {
    System.gc();
  }

  @Benchmark
  public long pair() {
    boolean modeFirst = coin.nextBoolean();
    long hit;
    if (modeFirst) {
      hit = timed(modeReplay, 4);
      hit += timed(baseReplay, 1);
    } else {
      hit = timed(baseReplay, 1);
      hit += timed(modeReplay, 4);
    }
    last[0] = modeFirst ? 1 : 0;
    return hit;
  }

  private long timed(ToLongFunction<long[]> replay, int at) {
    consumer[0] = 0;
    long proc = processCpu.nanos();
    long cpu = threads.getCurrentThreadCpuTime();
    long hit = replay.applyAsLong(consumer);
    last[at] = threads.getCurrentThreadCpuTime() - cpu + consumer[0];
    last[at + 1] = processCpu.nanos() - proc;
    last[at + 2] = consumer[0];
    return hit;
  }

  @TearDown(Level.Iteration)
  public void keep(IterationParams iteration) {
    if (iteration.getType() == IterationType.MEASUREMENT) measured.add(last.clone());
  }

  @TearDown(Level.Trial)
  public void report() {
    if (recording != null) recording.close();
    StringBuilder out = new StringBuilder();
    double[] ratios = new double[measured.size()];
    double baseSum = 0, modeSum = 0, baseProc = 0, modeProc = 0, baseConsumer = 0, modeConsumer = 0;
    for (int i = 0; i < measured.size(); i++) {
      long[] p = measured.get(i);
      out.append(String.format(Locale.ROOT, "PAIR %d %s base=%s %d %d %d mode=%s %d %d %d%n", i,
          p[0] == 1 ? "mode-first" : "base-first", base, p[1], p[2], p[3], mode, p[4], p[5], p[6]));
      ratios[i] = (double) p[4] / p[1];
      baseSum += p[1];
      modeSum += p[4];
      baseProc += p[2];
      modeProc += p[5];
      baseConsumer += p[3];
      modeConsumer += p[6];
    }
    double mean = 0, var = 0;
    for (double r : ratios) mean += r / ratios.length;
    for (double r : ratios) var += (r - mean) * (r - mean) / Math.max(1, ratios.length - 1);
    double half = 1.96 * Math.sqrt(var / Math.max(1, ratios.length));
    if (!baseClassPath.isEmpty() || !modeClassPath.isEmpty()) {
      out.append(String.format(Locale.ROOT, "PAIRED-CLASSPATHS base=%s mode=%s%n", baseClassPath, modeClassPath));
    }
    out.append(String.format(Locale.ROOT,
        "PAIRED base=%s mode=%s isolate=%s n=%d cpu ms/replay base %.3f mode %.3f ratio-of-sums %+.2f %% "
            + "mean-ratio %+.2f %% ± %.2f %% consumer ms/replay base %.3f mode %.3f process ms/replay base %.3f mode %.3f ratio-of-sums %+.2f %%%n",
        base, mode, isolate, ratios.length, baseSum / ratios.length / 1e6, modeSum / ratios.length / 1e6,
        100 * (modeSum / baseSum - 1), 100 * (mean - 1), 100 * half, baseConsumer / ratios.length / 1e6, modeConsumer / ratios.length / 1e6, baseProc / ratios.length / 1e6, modeProc / ratios.length / 1e6,
        100 * (modeProc / baseProc - 1)));
    System.out.print(out);
  }
}
