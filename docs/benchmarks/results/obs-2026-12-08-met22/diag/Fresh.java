import dev.hicache.core.metrics.InMemoryMetrics; import dev.hicache.api.spi.MetricsSink;
import java.lang.management.*;
public class Fresh {
  static final String[][] M = {{"hicache_tp_consensus_ticks",null},{"prompt_tokens",null},{"cached_tokens","storage"},{"cached_tokens","host"},{"cached_tokens","device"},{"hicache_prefetch_started",null},{"prefetched_tokens",null},{"hicache_prefetch_terminated","unfulfilled"},{"hicache_l3_pages","write"},{"hicache_l3_bytes","write"},{"hicache_backup_bytes",null},{"backuped_tokens","storage"},{"backuped_tokens","host"},{"evicted_tokens","device"},{"load_back_tokens",null},{"load_back_bytes",null},{"hicache_prefetch_terminated","below_threshold"}};
  static final String[][] G = {{"hicache_prefetch_tokens_occupied",null},{"device_used_tokens",null},{"hicache_backup_queue_depth",null},{"hicache_host_used_tokens",null},{"hicache_load_queue_depth",null}};
  static final String[][] D = {{"hicache_prefetch_duration_seconds","unfulfilled"},{"hicache_backup_duration_seconds",null},{"backup_pgs",null},{"load_back_duration_seconds",null},{"hicache_prefetch_duration_seconds","below_threshold"}};
  static long sink;
  public static void main(String[] a) {
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    int n = Integer.parseInt(a[0]);
    for (int it = 0; it < n; it++) {
      long t0 = tb.getCurrentThreadCpuTime();
      InMemoryMetrics m = new InMemoryMetrics();
      for (String[] x : M) m.counterHandle(x[0], x[1]).add(1);
      for (String[] x : G) m.gaugeHandle(x[0], x[1]).set(1);
      for (String[] x : D) m.observe(x[0], x[1], 1.0);
      m.count("hicache_prefetch_skipped", "below_threshold", 1); m.count("hicache_l3_hit_tokens", null, 1);
      m.gauge("hicache_host_total_tokens", null, 5);
      long t1 = tb.getCurrentThreadCpuTime();
      sink += m.hashCode();
      if (it < 5 || it % (n / 10) == 0 || it == n - 1) System.out.printf("it %d: %.1f us%n", it, (t1 - t0) / 1e3);
      // spread, as in the benchmark: a replay's worth of other work between sinks
      long x = 0; for (int k = 0; k < 3_000_000; k++) x += k * 31L ^ (x >>> 3); sink += x;
    }
  }
}
