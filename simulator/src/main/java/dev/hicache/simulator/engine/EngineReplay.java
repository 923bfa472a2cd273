package dev.hicache.simulator.engine;

import dev.hicache.core.engine.TieredSimulation;
import dev.hicache.core.tree.MatchTouch;
import dev.hicache.simulator.workload.Request;
import dev.hicache.simulator.workload.Workload;
import java.io.IOException;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * A workload through the real engine ({@link TieredSimulation}: the cache controller and radix
 * tree on the deterministic shell, in virtual time), collecting hit ratios by tier, TTFT and link
 * bytes. One prefill instance serving requests one at a time in arrival order; decode is charged
 * only when {@code decodeNanosPerToken} > 0 (by default the instance only prefills, as a prefill
 * node of a PD-disaggregated deployment).
 */
public final class EngineReplay {
  /** Width of a timeline bucket (arrival time). */
  public static final long TIMELINE_BUCKET_NANOS = 60_000_000_000L;

  private final EngineSetup setup;

  public EngineReplay(EngineSetup setup) {
    this.setup = setup;
  }

  /** Runs the whole workload; {@code progress} (may be null) gets the requests done so far. */
  public EngineResult run(Workload workload, LongConsumer progress) throws IOException {
    long t0 = System.nanoTime();
    int pageSize = setup.config().pageSize();
    long device = setup.deviceTokens() / pageSize * pageSize;
    long host = setup.hostTokens() / pageSize * pageSize;
    if (device > Integer.MAX_VALUE || host > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("capacities above " + Integer.MAX_VALUE + " tokens are not supported by the engine");
    }
    long[] ttft = new long[1024];
    int n = 0;
    TreeMap<Integer, long[]> groups = new TreeMap<>(); // group -> {requests, prompt, device, host, ttftSum}
    Request r = new Request();
    java.util.ArrayList<long[]> timeline = new java.util.ArrayList<>(); // per minute: prompt, cached, d2h, h2d
    long lastD2h = 0, lastH2d = 0;
    long lastFinish = 0;
    try (TieredSimulation sim = new TieredSimulation(setup.config(), setup.shape(), (int) device, (int) host,
        setup.costModel(), setup.prefillNanosPerToken(), setup.decodeNanosPerToken(), MatchTouch.MATCHED_ONLY)) {
      while (workload.next(r)) {
        TieredSimulation.Outcome o = sim.submit(r.arrivalNanos, r.tokens, r.outputTokens);
        long t = o.readyAtNanos() - r.arrivalNanos;
        if (n == ttft.length) ttft = Arrays.copyOf(ttft, n * 2);
        ttft[n++] = t;
        long[] g = groups.computeIfAbsent(r.group, k -> new long[5]);
        g[0]++;
        g[1] += o.promptTokens();
        g[2] += o.deviceHitTokens();
        g[3] += o.hostHitTokens();
        g[4] += t;
        lastFinish = Math.max(lastFinish, o.finishedAtNanos());
        int bucket = (int) Math.min(Integer.MAX_VALUE - 1, r.arrivalNanos / TIMELINE_BUCKET_NANOS);
        while (timeline.size() <= bucket) timeline.add(new long[4]);
        long[] b = timeline.get(bucket);
        long d2h = sim.metrics().counter("hicache_backup_bytes");
        long h2d = sim.metrics().counter("load_back_bytes");
        b[0] += o.promptTokens();
        b[1] += o.cachedTokens();
        b[2] += d2h - lastD2h;
        b[3] += h2d - lastH2d;
        lastD2h = d2h;
        lastH2d = h2d;
        workload.completed(r, o.finishedAtNanos());
        if (progress != null && (n & 255) == 0) progress.accept(n);
      }
      sim.drain();
      var m = sim.metrics();
      long[] sorted = Arrays.copyOf(ttft, n);
      Arrays.sort(sorted);
      return new EngineResult(setup, workload.describe(), workload.groupName(), sim.requests(), sim.promptTokens(),
          sim.deviceHitTokens(), sim.hostHitTokens(), sim.uncachedRequests(),
          m.counter("hicache_backup_bytes"), m.counter("load_back_bytes"),
          m.counter("evicted_tokens", "device"), m.counter("evicted_tokens", "host"),
          percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99),
          n == 0 ? 0 : Arrays.stream(sorted).sum() / n, lastFinish, groups, timeline, System.nanoTime() - t0);
    }
  }

  /** bench_multiturn's percentile: sorted[int(q × n)]. */
  static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) return 0;
    return sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))];
  }
}
