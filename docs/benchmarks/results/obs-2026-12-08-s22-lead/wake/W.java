import java.lang.management.*; import java.util.concurrent.locks.LockSupport;
public class W {
  static volatile long sink;
  public static void main(String[] a) throws Exception {
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    int n = Integer.parseInt(a[2]); long ms = Long.parseLong(a[0]); String how = a[1];
    boolean busy = a.length > 3;  // keep the other vCPU busy, as the scheduler thread does
    if (busy) { Thread b = new Thread(() -> { long x = 0; while (true) { x += System.nanoTime(); sink = x; } }); b.setDaemon(true); b.start(); }
    Object lock = new Object();
    Thread.sleep(200);
    long c0 = tb.getCurrentThreadCpuTime(), w0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      switch (how) {
        case "park" -> LockSupport.parkNanos(ms * 1_000_000);
        case "sleep" -> Thread.sleep(ms);
        case "wait" -> { synchronized (lock) { lock.wait(ms); } }
        case "yieldspin" -> { long d = System.nanoTime() + ms * 1_000_000; while (System.nanoTime() < d) Thread.yield(); }
      }
    }
    long c1 = tb.getCurrentThreadCpuTime(), w1 = System.nanoTime();
    System.out.printf("%-6s %3d ms busy=%b: %.1f us CPU per wake (wall %.2f ms per)%n", how, ms, busy, (c1 - c0) / 1e3 / n, (w1 - w0) / 1e6 / n);
  }
}
