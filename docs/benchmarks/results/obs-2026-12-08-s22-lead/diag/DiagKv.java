import java.net.*; import java.nio.file.*; import java.util.*; import java.util.function.*; import java.lang.management.*;
import java.util.concurrent.atomic.AtomicLong;
public class DiagKv {
  public static void main(String[] a) throws Exception {
    String cp = a[0]; int warm = Integer.parseInt(a[1]), meas = Integer.parseInt(a[2]);
    String[] e = cp.split(":"); URL[] u = new URL[e.length];
    for (int i = 0; i < e.length; i++) u[i] = Path.of(e[i]).toUri().toURL();
    ClassLoader l = new URLClassLoader("r", u, ClassLoader.getPlatformClassLoader());
    ToLongFunction<long[]> r = (ToLongFunction<long[]>) Class.forName("DiagReplay", true, l).getConstructor(String.class).newInstance("none");
    Class<?> pub = Class.forName("dev.hicache.core.events.KvEventPublisher", true, l);
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    pub.getField("DIAG_CPU").set(null, (LongSupplier) tb::getCurrentThreadCpuTime);
    AtomicLong[] d = (AtomicLong[]) pub.getField("DIAG").get(null);
    long[] tmp = new long[4]; long[] d0 = new long[8];
    for (int it = 0; it < warm + meas; it++) {
      if (it == warm) for (int i = 0; i < 8; i++) d0[i] = d[i].get();
      System.gc();
      r.applyAsLong(tmp);
    }
    String[] names = {"idle-park(await)", "age-parks", "sleep-parks", "deliver", "listener", "run() total", "idle parks n", "age+sleep parks n"};
    for (int i = 0; i < 8; i++) System.out.printf("%-20s %.4f %s%n", names[i], (d[i].get() - d0[i]) / (i >= 6 ? 1.0 : 1e6) / meas, i >= 6 ? "per replay" : "ms per replay");
  }
}
