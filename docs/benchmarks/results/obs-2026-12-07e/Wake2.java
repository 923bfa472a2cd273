import java.lang.management.*; import java.util.concurrent.locks.LockSupport;
public class Wake2 {
  static volatile long sink; static volatile boolean go = true;
  public static void main(String[] a) throws Exception {
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    int n = 300; long sleepMs = Long.parseLong(a[0]); boolean timed = a[1].equals("timed");
    long[] res = new long[1];
    Thread t = new Thread(() -> {
      for (int w = 0; w < 50; w++) { if (timed) LockSupport.parkNanos(sleepMs * 2_000_000); else LockSupport.park(); }
      long c0 = tb.getCurrentThreadCpuTime();
      for (int i = 0; i < n; i++) { if (timed) LockSupport.parkNanos(sleepMs * 2_000_000); else LockSupport.park(); }
      long c1 = tb.getCurrentThreadCpuTime();
      System.out.printf("%s park, woken by unpark every %d ms: %.1f us CPU per wake%n", a[1], sleepMs, (c1 - c0) / 1e3 / n);
      go = false;
    });
    t.start();
    while (go) { Thread.sleep(sleepMs); LockSupport.unpark(t); }
    System.exit(0);
  }
}
