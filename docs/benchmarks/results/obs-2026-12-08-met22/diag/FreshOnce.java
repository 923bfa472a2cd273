import dev.hicache.core.metrics.InMemoryMetrics;
import java.lang.management.*;
import java.util.function.LongSupplier;
/** One fresh InMemoryMetrics and the engine's first reports (as Fresh.java), CPU ns; one instance per class loader. */
public class FreshOnce implements LongSupplier {
  static final String[][] M = Fresh.M, G = Fresh.G, D = Fresh.D;
  final ThreadMXBean tb = ManagementFactory.getThreadMXBean();
  static long sink;
  @Override public long getAsLong() {
    long t0 = tb.getCurrentThreadCpuTime();
    InMemoryMetrics m = new InMemoryMetrics();
    m.gauge("hicache_host_total_tokens", null, 5);
    for (String[] x : M) m.counterHandle(x[0], x[1]).add(1);
    for (String[] x : G) m.gaugeHandle(x[0], x[1]).set(1);
    for (String[] x : D) m.observe(x[0], x[1], 1.0);
    m.count("hicache_prefetch_skipped", "below_threshold", 1); m.count("hicache_l3_hit_tokens", null, 1);
    long t1 = tb.getCurrentThreadCpuTime();
    sink += m.hashCode();
    return t1 - t0;
  }
}
