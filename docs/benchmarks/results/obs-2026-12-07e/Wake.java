import java.lang.management.*; import java.util.concurrent.locks.LockSupport;
public class Wake {
  static volatile long sink;
  public static void main(String[] a) throws Exception {
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    int n = 300; long sleep = Long.parseLong(a[0]) * 1000; int touch = Integer.parseInt(a[1]);
    long[] mem = new long[touch * 512]; // touch pages
    Thread busy = new Thread(() -> { long x = 0; long end = System.nanoTime() + 8_000_000_000L; while (System.nanoTime() < end) { x += x * 31 + 7; } sink = x; });
    if (a.length > 2) busy.start();
    Thread t = new Thread(() -> {
      for (int w = 0; w < 50; w++) LockSupport.parkNanos(sleep);
      long c0 = tb.getCurrentThreadCpuTime();
      for (int i = 0; i < n; i++) { LockSupport.parkNanos(sleep); for (int p = 0; p < touch; p++) sink += mem[p * 512]; }
      long c1 = tb.getCurrentThreadCpuTime();
      System.out.printf("sleep %d us touch %d pages: %.1f us CPU per wake%n", sleep / 1000, touch, (c1 - c0) / 1e3 / n);
    });
    t.start(); t.join(); busy.interrupt();
    System.exit(0);
  }
}
