import java.lang.management.*; import java.util.concurrent.locks.LockSupport;
public class W {
  static volatile boolean go; static volatile int n;
  public static void main(String[] a) throws Exception {
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    int N = 300;
    for (String mode : new String[]{"timed10ms","untimedWoken","timed30sWoken","timed10msWoken","spin"} ) for (int rep=0; rep<2; rep++) {
      long[] cpu = new long[1];
      Thread t = new Thread(() -> {
        long c0 = tb.getCurrentThreadCpuTime();
        for (int i = 0; i < N; i++) {
          switch (mode) {
            case "timed10ms" -> LockSupport.parkNanos(10_000_000);
            case "untimedWoken" -> { int k = n; while (n == k) LockSupport.park(); }
            case "timed30sWoken" -> { int k = n; while (n == k) LockSupport.parkNanos(30_000_000_000L); }
            case "timed10msWoken" -> { int k = n; while (n == k) LockSupport.parkNanos(10_000_000L); }
            case "spin" -> { int k = n; while (n == k) Thread.onSpinWait(); }
          }
        }
        cpu[0] = tb.getCurrentThreadCpuTime() - c0;
      });
      t.start();
      long w0 = tb.getCurrentThreadCpuTime();
      if (!mode.equals("timed10ms")) for (int i = 0; i < N; i++) { Thread.sleep(mode.equals("spin") ? 0 : 5); n++; LockSupport.unpark(t); if (mode.equals("spin")) Thread.sleep(0,100000); }
      t.join();
      System.out.printf("%-15s woken thread %.1f us/wake, waker %.1f us/wake%n", mode, cpu[0]/1e3/N, (tb.getCurrentThreadCpuTime()-w0)/1e3/N);
    }
  }
}
