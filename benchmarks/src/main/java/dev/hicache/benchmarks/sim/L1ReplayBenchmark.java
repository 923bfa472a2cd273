package dev.hicache.benchmarks.sim;

import dev.hicache.simulator.replay.L1OnlyReplay;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.trace.TraceRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The {@code simulate --l1-only} replay loop over Mooncake's conversation trace (12,031
 * requests, 2,256,643 page references at 64-token pages), read from memory: one operation is one
 * whole replay through the real radix tree. Baseline in the same run: reading and validating the
 * same bytes without replaying ({@link #baselineReadOnly}). Page events per second =
 * 2,256,643 / (ms per op / 1000).
 *
 * <p>Run from the repository root (the trace is read from ../shared/traces beside it, or from
 * -Dhicache.trace=FILE: {@link SharedTrace}):
 * {@code java -jar benchmarks/target/benchmarks.jar L1ReplayBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC"})
public class L1ReplayBenchmark {
  @Param({"3000000", "inf"})
  public String capacityTokens;

  /** compact: the tree holds a page's two identity tokens (the default); full: all 64 tokens. */
  @Param({"compact", "full"})
  public String keys;

  private byte[] trace;

  @Setup
  public void load() throws IOException {
    trace = Files.readAllBytes(SharedTrace.conversationTrace());
  }

  @Benchmark
  public long replayL1() throws IOException {
    long cap = capacityTokens.equals("inf") ? L1OnlyReplay.INFINITE : Long.parseLong(capacityTokens);
    try (MooncakeTraceReader r = MooncakeTraceReader.of(trace, "conversation_trace.jsonl")) {
      return new L1OnlyReplay(64, cap, dev.hicache.core.tree.EvictionPolicies.DEFAULT, 512, keys.equals("compact"))
          .replay(r).cachedTokens();
    }
  }

  @Benchmark
  public long baselineReadOnly() throws IOException {
    long sum = 0;
    try (MooncakeTraceReader r = MooncakeTraceReader.of(trace, "conversation_trace.jsonl")) {
      TraceRecord rec = new TraceRecord();
      while (r.next(rec)) sum += rec.inputLength() + rec.hashId(rec.hashIdCount() - 1);
    }
    return sum;
  }
}
