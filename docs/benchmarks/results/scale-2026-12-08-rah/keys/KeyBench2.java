import dev.hicache.api.PageKey;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.workload.*;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/** The read-ahead thread's work alone on a trace: read (+ token ids), serial keys, serial keys through the memo; CPU of this thread. */
public class KeyBench2 {
  public static void main(String[] a) throws Exception {
    var mx = ManagementFactory.getThreadMXBean();
    int rounds = Integer.parseInt(a[1]);
    for (int r = 0; r < rounds; r++) {
      for (String mode : a[2].split(",")) {
        long c0 = mx.getCurrentThreadCpuTime();
        long pages = 0, x = 0;
        SerialPageKeys plain = new SerialPageKeys(64);
        SerialKeyMemo memo = SerialKeyMemo.forTraceBlocks(64);
        try (var w = new TraceWorkload(MooncakeTraceReader.open(Path.of(a[0])), 64, TraceWorkload.Arrivals.asap, true)) {
          while (true) {
            Request q = new Request();
            if (!w.next(q)) break;
            PageKey[] k = switch (mode) {
              case "read" -> new PageKey[0];
              case "serial" -> plain.pageKeys(null, q.pageSerials, q.pageSerials.length);
              default -> memo.pageKeys(null, q.pageSerials, q.pageSerials.length);
            };
            pages += k.length; if (k.length > 0) x ^= k[k.length - 1].hashCode();
          }
        }
        long c1 = mx.getCurrentThreadCpuTime();
        System.out.printf("%s: %.2f s CPU, %d pages (%d) memo hits %d hashed %d%n", mode, (c1 - c0) / 1e9, pages, x, memo.hits(), memo.hashed());
      }
    }
  }
}
