import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.virtualtime.TieredSimulation;
import dev.hicache.simulator.workload.*;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

public class KeyBench {
  public static void main(String[] a) throws Exception {
    var mx = ManagementFactory.getThreadMXBean();
    int rounds = Integer.parseInt(a[1]);
    int slots = a.length > 2 ? Integer.parseInt(a[2]) : 17;
    for (int r = 0; r < rounds; r++) {
      for (String mode : a.length > 3 ? a[3].split(",") : new String[]{"hash", "memo", "fill"}) {
        long c0 = mx.getCurrentThreadCpuTime();
        long pages = 0, x = 0;
        BlockKeyMemo memo = new BlockKeyMemo(64, 8, slots);
        PageHasher h = new PageHasher(64);
        try (var w = new TraceWorkload(MooncakeTraceReader.open(Path.of(a[0])), 64, TraceWorkload.Arrivals.asap)) {
          Request q = new Request();
          while (w.next(q)) {
            PageKey[] k = switch (mode) {
              case "hash" -> TieredSimulation.pageKeys(h, q.tokens);
              case "memo" -> memo.pageKeys(null, q.tokens);
              case "sparse" -> { int[] z = new int[62]; int c = 0; for (int f = 0; f + 64 <= q.tokens.length; f += 64) if (java.util.Arrays.mismatch(q.tokens, f + 2, f + 64, z, 0, 62) < 0) c++; x += c; yield new PageKey[0]; }
              default -> new PageKey[0];
            };
            pages += k.length; if (k.length > 0) x ^= k[k.length - 1].hashCode();
          }
        }
        long c1 = mx.getCurrentThreadCpuTime();
        System.out.printf("%s: %.2f s CPU, %d pages, hits %d hashed %d (%d)%n", mode, (c1 - c0) / 1e9, pages, memo.hits(), memo.hashed(), x);
      }
    }
  }
}
