import java.net.*; import java.nio.file.*; import java.util.*; import java.util.function.*;
/** KvDiag WARM MEAS name=mode=cp ... : round robin, GC before each replay; per config: thread parts and consumer, median total. */
public class KvDiag {
  public static void main(String[] a) throws Exception {
    int warm = Integer.parseInt(a[0]), meas = Integer.parseInt(a[1]);
    int m = a.length - 2; String[] names = new String[m];
    ToLongFunction<long[]>[] r = new ToLongFunction[m];
    for (int i = 0; i < m; i++) {
      String[] s = a[i + 2].split("=", 3); names[i] = s[0];
      String[] e = s[2].split(":"); URL[] u = new URL[e.length];
      for (int k = 0; k < e.length; k++) u[k] = Path.of(e[k]).toUri().toURL();
      ClassLoader l = new URLClassLoader("r-" + s[0], u, ClassLoader.getPlatformClassLoader());
      r[i] = (ToLongFunction<long[]>) Class.forName("KvReplay", true, l).getConstructor(String.class).newInstance(s[1]);
    }
    long[][] acc = new long[m][4]; double[][] per = new double[m][meas]; double[][] cons = new double[m][meas]; long[] tmp = new long[6]; long[][] ext = new long[m][2];
    for (int it = 0; it < warm + meas; it++) {
      for (int k = 0; k < m; k++) {
        int i = (k + it) % m;
        System.gc(); Arrays.fill(tmp, 0); r[i].applyAsLong(tmp);
        if (it >= warm) { for (int j = 0; j < 4; j++) acc[i][j] += tmp[j]; ext[i][0] += tmp[4]; ext[i][1] += tmp[5]; per[i][it - warm] = (tmp[0] + tmp[1] + tmp[2] + tmp[3]) / 1e6; cons[i][it - warm] = tmp[3] / 1e6; }
      }
    }
    for (int i = 0; i < m; i++) {
      double[] s = per[i].clone(); Arrays.sort(s); double[] c = cons[i].clone(); Arrays.sort(c);
      System.out.printf("%-8s build %.3f loop %.3f close %.3f consumer %.3f (median %.3f) total %.3f median %.3f ms; listener %.3f ms in %.2f batches%n", names[i], acc[i][0] / 1e6 / meas, acc[i][1] / 1e6 / meas, acc[i][2] / 1e6 / meas, acc[i][3] / 1e6 / meas, c[c.length/2], (acc[i][0] + acc[i][1] + acc[i][2] + acc[i][3]) / 1e6 / meas, s[s.length / 2], ext[i][0] / 1e6 / meas, ext[i][1] / (double) meas);
    }
  }
}
