import dev.hicache.simulator.trace.*;
import dev.hicache.simulator.workload.*;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/** Reading a trace with token ids and serials: two passes (fill, then serials) against one (fill with serials); CPU of this thread. */
public class ReadBench {
  public static void main(String[] a) throws Exception {
    var mx = ManagementFactory.getThreadMXBean();
    for (int r = 0; r < Integer.parseInt(a[1]); r++) {
      for (String mode : new String[] {"two-pass", "one-pass"}) {
        long c0 = mx.getCurrentThreadCpuTime(), x = 0;
        TraceRecord rec = new TraceRecord();
        try (MooncakeTraceReader rd = MooncakeTraceReader.open(Path.of(a[0]))) {
          while (rd.next(rec)) {
            int[] t = new int[rec.inputLength()];
            long[] s;
            if (mode.equals("two-pass")) { TraceTokens.fill(rec, 64, 512, t); s = TraceTokens.serials(rec, 64, 512); }
            else { s = new long[rec.inputLength() / 64]; TraceTokens.fill(rec, 64, 512, t, s); }
            x += t[t.length - 1] + (s.length > 0 ? s[s.length - 1] : 0);
          }
        }
        System.out.printf("%s: %.2f s CPU (%d)%n", mode, (mx.getCurrentThreadCpuTime() - c0) / 1e9, x);
      }
    }
  }
}
