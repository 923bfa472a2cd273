package dev.hicache.benchmarks.support;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Measures how much CPU the benchmark's worker threads actually got during each iteration, for
 * runs on a shared machine where other processes take most of the cores: {@code -prof
 * dev.hicache.benchmarks.support.CpuTimeProfiler}.
 *
 * <p>Reports {@code ·cpu.share} (worker CPU seconds per wall second and worker) and {@code
 * ·per.cpu} (the primary score rescaled to worker CPU time: a throughput divided by the share, a
 * time per operation multiplied by it). The rescaled score is what one core would do if the
 * benchmark had it alone, cache contention from the other processes still included.
 *
 * <p>Also {@code ·cpu.per.op}: the workers' CPU time divided by the measured operations, in the
 * benchmark's time unit. For a single-threaded operation it is the time per operation without
 * the time the thread waited for a core; unlike {@code ·per.cpu} it is not skewed by untimed
 * per-iteration setup (a {@code System.gc()} the worker waits for, say), which counts in the
 * iteration's wall time but not in its score.
 */
public final class CpuTimeProfiler implements InternalProfiler {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private Map<Long, Long> before = new HashMap<>();
  private long wallBefore;

  @Override public String getDescription() {
    return "CPU time the benchmark's worker threads got, and the score rescaled to it";
  }

  @Override public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    before = workerCpu();
    wallBefore = System.nanoTime();
  }

  @Override public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams,
      IterationParams iterationParams, IterationResult result) {
    long wall = System.nanoTime() - wallBefore;
    Map<Long, Long> after = workerCpu();
    long cpu = 0;
    for (Map.Entry<Long, Long> e : after.entrySet()) cpu += e.getValue() - before.getOrDefault(e.getKey(), 0L);
    int workers = Math.max(1, benchmarkParams.getThreads());
    double share = wall <= 0 ? Double.NaN : (double) cpu / wall / workers;
    List<Result> out = new ArrayList<>();
    out.add(new ScalarResult("·cpu.share", share, "cpu-s/s", AggregationPolicy.AVG));
    Result<?> primary = result.getPrimaryResult();
    double score = primary.getScore();
    double perCpu = benchmarkParams.getMode() == org.openjdk.jmh.annotations.Mode.Throughput ? score / share : score * share;
    out.add(new ScalarResult("·per.cpu", perCpu, primary.getScoreUnit(), AggregationPolicy.AVG));
    long ops = result.getMetadata() == null ? 0 : result.getMetadata().getMeasuredOps();
    if (ops > 0) {
      double perOp = (double) cpu / ops / benchmarkParams.getTimeUnit().toNanos(1);
      out.add(new ScalarResult("·cpu.per.op", perOp, unitName(benchmarkParams.getTimeUnit()) + "/op", AggregationPolicy.AVG));
    }
    return out;
  }

  private static String unitName(java.util.concurrent.TimeUnit u) {
    return switch (u) {
      case NANOSECONDS -> "ns";
      case MICROSECONDS -> "us";
      case MILLISECONDS -> "ms";
      case SECONDS -> "s";
      default -> u.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private Map<Long, Long> workerCpu() {
    Map<Long, Long> m = new HashMap<>();
    for (ThreadInfo ti : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (ti == null || !ti.getThreadName().contains("jmh-worker")) continue;
      long t = threads.getThreadCpuTime(ti.getThreadId());
      if (t >= 0) m.put(ti.getThreadId(), t);
    }
    return m;
  }
}
