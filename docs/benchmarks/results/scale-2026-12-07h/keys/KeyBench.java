import dev.hicache.api.PageKey;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.workload.*;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

public class KeyBench {
  public static void main(String[] a) throws Exception {
    var mx = ManagementFactory.getThreadMXBean();
    int rounds = Integer.parseInt(a[1]);
    for (int r = 0; r < rounds; r++) {
      for (String mode : a[2].split(",")) {
        long c0 = mx.getCurrentThreadCpuTime();
        long pages = 0, x = 0;
        PromptPageKeys keys = new PromptPageKeys(64); SerialMemo memo = new SerialMemo(17);
        try (var w = new TraceWorkload(MooncakeTraceReader.open(Path.of(a[0])), 64, TraceWorkload.Arrivals.asap, mode.startsWith("serial"))) {
          while (true) {
            Request q = new Request();
            if (!w.next(q)) break;
            PageKey[] k = mode.equals("read") ? new PageKey[0] : mode.equals("serialmemo") ? memo.pageKeys(null, q.pageSerials) : keys.of(q);
            pages += k.length; if (k.length > 0) x ^= k[k.length - 1].hashCode();
          }
        }
        long c1 = mx.getCurrentThreadCpuTime();
        System.out.printf("%s: %.2f s CPU, %d pages (%d) memo hits %d%n", mode, (c1 - c0) / 1e9, pages, x, memo.hits);
      }
    }
  }
}
