package dev.hicache.benchmarks.mooncake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Single 4 KiB calls through {@link dev.hicache.l3.mooncake.MooncakeStore} and the bare downcalls
 * of the same C functions, <b>paired</b>: every invocation makes one binding call and one bare
 * call, back to back on the same thread, in an order chosen by a coin flip, and times each with
 * {@link System#nanoTime()}. Scheduler preemptions, timer interrupts and a neighbour's cache
 * traffic therefore fall on both sides alike, which {@link MooncakeLatencyBenchmark} (baseline and
 * binding in separate forks, at separate times) cannot give: there the baseline's own p99 moved by
 * 40 % between runs.
 *
 * <ul>
 *   <li>{@code get}: binding {@code getInto} of stored object {@code i} against bare {@code
 *       get_into} of object {@code i + keys/2} (with the default 256 keys each object was last read
 *       128 pairs earlier, on either side, so neither finds the other's bytes in cache).
 *   <li>{@code put}: binding {@code putFrom} + {@code remove} (not forced) of absent key {@code i}
 *       against bare {@code put_from} + {@code remove} of key {@code i + keys/2}.
 *   <li>{@code getControl}, {@code putControl}: the same pairs with the bare downcall on both
 *       sides, to show the harness's own spread.
 * </ul>
 *
 * <p>Each fork keeps exact histograms (1 ns buckets up to 1 ms) of both sides over its measurement
 * iterations and, at its end, writes one line: the percentiles of each side, their ratios and the
 * collections seen. {@link #main} runs the forks and then prints every fork's line and, per
 * operation, the median, lowest and highest of the per-fork p99 ratios. Both timed regions carry
 * one timer read each, so the timer's cost (tens of nanoseconds) is in both sides alike. JMH's own
 * score is the mean time of one pair. Figures and machine: docs/benchmarks.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 10, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 8, time = 2)
public class MooncakePairedLatencyBenchmark {
  /** System property naming the file each fork appends its line to ({@link #main} sets it). */
  static final String OUT_PROPERTY = "hicache.paired.out";
  private static final int KEYS = MooncakeLatencyFixture.KEYS;
  private static final long VALUE = MooncakeLatencyFixture.VALUE;

  /**
   * How many of the fixture's keys the pairs cycle through (a power of two, at most {@value
   * #KEYS}): 256 by default; 2 keeps both sides' keys and objects in cache, to tell cache
   * placement from code.
   */
  @Param({"256"})
  int keys;

  MooncakeLatencyFixture f;
  String operation;
  final Histogram binding = new Histogram(), baseline = new Histogram();
  boolean measuring;
  long gcCountAtStart, gcs, coin = 0x9E37_79B9_7F4A_7C15L;
  int next;

  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) {
    f = new MooncakeLatencyFixture();
    String b = params.getBenchmark();
    operation = b.substring(b.lastIndexOf('.') + 1) + (keys == KEYS ? "" : "/keys=" + keys);
    if (Integer.bitCount(keys) != 1 || keys < 2 || keys > KEYS) throw new IllegalArgumentException("keys must be a power of two in [2, " + KEYS + "], got " + keys);
  }

  @Setup(Level.Iteration)
  public void iterationStart(IterationParams params) {
    measuring = params.getType() == IterationType.MEASUREMENT;
    gcCountAtStart = gcCount();
  }

  @TearDown(Level.Iteration)
  public void iterationEnd() {
    if (measuring) gcs += gcCount() - gcCountAtStart;
  }

  @TearDown(Level.Trial)
  public void report() {
    f.close();
    String line = String.format(Locale.ROOT,
        "op=%s samples=%d gcs=%d binding_us=%s baseline_us=%s ratio_p50=%.3f ratio_p90=%.3f ratio_p99=%.3f ratio_p999=%.3f",
        operation, binding.total(), gcs, binding.summary(), baseline.summary(),
        ratio(0.5), ratio(0.9), ratio(0.99), ratio(0.999));
    System.out.println("PAIRED " + line);
    String out = System.getProperty(OUT_PROPERTY);
    if (out != null) {
      try {
        Files.writeString(Path.of(out), line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private double ratio(double q) {
    return (double) binding.percentile(q) / baseline.percentile(q);
  }

  private static long gcCount() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) n += Math.max(0, gc.getCollectionCount());
    return n;
  }

  /** A fair coin from a 64-bit LCG's top bit: no allocation, no shared state. */
  private boolean bindingFirst() {
    coin = coin * 6364136223846793005L + 1442695040888963407L;
    return coin < 0;
  }

  private void record(boolean bindingFirst, long first, long second) {
    if (!measuring) return;
    if (bindingFirst) {
      binding.add(first);
      baseline.add(second);
    } else {
      baseline.add(first);
      binding.add(second);
    }
  }

  @Benchmark
  public long get() {
    int i = next++ & (keys - 1);
    int j = (i + keys / 2) & (keys - 1);
    boolean bindingFirst = bindingFirst();
    long t0 = System.nanoTime();
    long a = bindingFirst ? f.client.getInto(f.getKeys[i], f.target) : f.lib.getInto(f.handle, f.rawGetKeys[j], f.rawTarget, VALUE);
    long t1 = System.nanoTime();
    long b = bindingFirst ? f.lib.getInto(f.handle, f.rawGetKeys[j], f.rawTarget, VALUE) : f.client.getInto(f.getKeys[i], f.target);
    long t2 = System.nanoTime();
    record(bindingFirst, t1 - t0, t2 - t1);
    return a + b;
  }

  @Benchmark
  public long put() {
    int i = next++ & (keys - 1);
    int j = (i + keys / 2) & (keys - 1);
    boolean bindingFirst = bindingFirst();
    long t0 = System.nanoTime();
    long a = bindingFirst ? bindingPut(i) : rawPut(j);
    long t1 = System.nanoTime();
    long b = bindingFirst ? rawPut(j) : bindingPut(i);
    long t2 = System.nanoTime();
    record(bindingFirst, t1 - t0, t2 - t1);
    return a + b;
  }

  /**
   * The control (an A/A comparison): both sides are the bare downcall, side "binding" with the
   * binding's key and target, side "baseline" with the baseline's. Its ratios show how far this
   * harness moves a ratio on its own (key placement, order, the machine): a binding ratio inside
   * that spread is indistinguishable from the bare call.
   */
  @Benchmark
  public long getControl() {
    int i = next++ & (keys - 1);
    int j = (i + keys / 2) & (keys - 1);
    boolean aFirst = bindingFirst();
    long t0 = System.nanoTime();
    long a = aFirst ? f.lib.getInto(f.handle, f.rawGetKeys[i], f.target, VALUE) : f.lib.getInto(f.handle, f.rawGetKeys[j], f.rawTarget, VALUE);
    long t1 = System.nanoTime();
    long b = aFirst ? f.lib.getInto(f.handle, f.rawGetKeys[j], f.rawTarget, VALUE) : f.lib.getInto(f.handle, f.rawGetKeys[i], f.target, VALUE);
    long t2 = System.nanoTime();
    record(aFirst, t1 - t0, t2 - t1);
    return a + b;
  }

  /** The put control: bare put + remove on both sides (keys {@code i} and {@code i + keys/2}). */
  @Benchmark
  public long putControl() {
    int i = next++ & (keys - 1);
    int j = (i + keys / 2) & (keys - 1);
    boolean aFirst = bindingFirst();
    long t0 = System.nanoTime();
    long a = aFirst ? rawPut(i) : rawPut(j);
    long t1 = System.nanoTime();
    long b = aFirst ? rawPut(j) : rawPut(i);
    long t2 = System.nanoTime();
    record(aFirst, t1 - t0, t2 - t1);
    return a + b;
  }

  private long bindingPut(int i) {
    f.client.putFrom(f.putKeys[i], f.value, null);
    return f.client.remove(f.putKeys[i], false) ? 1 : 0;
  }

  private long rawPut(int j) {
    int rc = f.lib.putFrom(f.handle, f.rawPutKeys[j], f.value, VALUE, MemorySegment.NULL);
    return rc | f.lib.remove(f.handle, f.rawPutKeys[j], 0);
  }

  /** Exact latency counts in 1 ns buckets up to 1 ms; longer ones are counted together. */
  static final class Histogram {
    private static final int BUCKETS = 1 << 20;
    private final int[] counts = new int[BUCKETS];
    private long total, over, max;

    void add(long nanos) {
      if (nanos < BUCKETS) counts[(int) Math.max(0, nanos)]++;
      else over++;
      if (nanos > max) max = nanos;
      total++;
    }

    long total() {
      return total;
    }

    /** The smallest latency with at least a fraction {@code q} of the samples at or below it (ns). */
    long percentile(double q) {
      long rank = (long) Math.ceil(q * total);
      long seen = 0;
      for (int i = 0; i < BUCKETS; i++) {
        seen += counts[i];
        if (seen >= rank) return i;
      }
      return max; // the rank lies among the samples over 1 ms
    }

    String summary() {
      return String.format(Locale.ROOT, "p50:%.3f,p90:%.3f,p99:%.3f,p999:%.3f,max:%.1f", percentile(0.5) / 1e3,
          percentile(0.9) / 1e3, percentile(0.99) / 1e3, percentile(0.999) / 1e3, max / 1e3);
    }
  }

  /**
   * Runs the paired benchmarks (JMH options as usual, e.g. {@code -f 10 -i 8}) with the forks'
   * lines collected in a temporary file, then prints them and the per-operation summary; exits
   * non-zero when a benchmark fails.
   */
  public static void main(String[] args) throws Exception {
    Path lines = Files.createTempFile("mooncake-paired", ".txt");
    var cli = new org.openjdk.jmh.runner.options.CommandLineOptions(args);
    var opts = new org.openjdk.jmh.runner.options.OptionsBuilder().parent(cli)
        .include(cli.getIncludes().isEmpty() ? MooncakePairedLatencyBenchmark.class.getName() : cli.getIncludes().getFirst())
        .jvmArgsAppend("--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-D" + OUT_PROPERTY + "=" + lines)
        .shouldFailOnError(true).build();
    try {
      if (new org.openjdk.jmh.runner.Runner(opts).run().isEmpty()) {
        System.err.println("no benchmark ran");
        System.exit(1);
      }
    } catch (org.openjdk.jmh.runner.RunnerException e) {
      System.err.println("benchmark failed: " + e.getMessage());
      System.exit(1);
    }
    System.out.println();
    System.out.println("Per fork (latencies in microseconds):");
    var byOp = new TreeMap<String, List<double[]>>();
    for (String line : Files.readAllLines(lines)) {
      System.out.println(line);
      String op = field(line, "op");
      byOp.computeIfAbsent(op, k -> new ArrayList<>()).add(new double[] {Double.parseDouble(field(line, "ratio_p50")),
          Double.parseDouble(field(line, "ratio_p99")), Double.parseDouble(field(line, "ratio_p999"))});
    }
    System.out.println();
    System.out.println("op    forks  ratio p50 median [min, max]   ratio p99 median [min, max]   ratio p99.9 median [min, max]");
    for (var e : byOp.entrySet()) {
      List<double[]> r = e.getValue();
      System.out.printf(Locale.ROOT, "%-5s %5d  %s   %s   %s%n", e.getKey(), r.size(), spread(r, 0), spread(r, 1), spread(r, 2));
    }
    Files.deleteIfExists(lines);
  }

  private static String field(String line, String name) {
    for (String part : line.split(" ")) {
      if (part.startsWith(name + "=")) return part.substring(name.length() + 1);
    }
    throw new IllegalStateException("no " + name + " in " + line);
  }

  private static String spread(List<double[]> rows, int column) {
    List<Double> v = new ArrayList<>();
    for (double[] r : rows) v.add(r[column]);
    v.sort(Comparator.naturalOrder());
    int n = v.size();
    double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", median, v.getFirst(), v.getLast());
  }
}
