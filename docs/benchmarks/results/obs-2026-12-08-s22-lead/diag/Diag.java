import java.net.*; import java.nio.file.*; import java.util.*; import java.util.function.*;
public class Diag {
  public static void main(String[] a) throws Exception {
    String cp = a[0]; String[] modes = a[1].split(","); int warm = Integer.parseInt(a[2]), meas = Integer.parseInt(a[3]);
    String[] e = cp.split(":"); URL[] u = new URL[e.length];
    for (int i = 0; i < e.length; i++) u[i] = Path.of(e[i]).toUri().toURL();
    ToLongFunction<long[]>[] r = new ToLongFunction[modes.length];
    for (int i = 0; i < modes.length; i++) {
      ClassLoader l = new URLClassLoader("r-" + modes[i], u, ClassLoader.getPlatformClassLoader());
      r[i] = (ToLongFunction<long[]>) Class.forName("DiagReplay", true, l).getConstructor(String.class).newInstance(modes[i]);
    }
    long[][] acc = new long[modes.length][4];
    double[][] per = new double[modes.length][meas];
    long[] tmp = new long[4];
    for (int it = 0; it < warm + meas; it++) {
      for (int k = 0; k < modes.length; k++) {
        int i = (k + it) % modes.length;
        System.gc();
        Arrays.fill(tmp, 0);
        r[i].applyAsLong(tmp);
        if (it >= warm) { for (int j = 0; j < 4; j++) acc[i][j] += tmp[j]; per[i][it - warm] = (tmp[0] + tmp[1] + tmp[2] + tmp[3]) / 1e6; }
      }
    }
    for (int i = 0; i < modes.length; i++) {
      double[] s = per[i].clone(); Arrays.sort(s);
      System.out.printf("%-8s build %.3f first200 %.3f rest %.3f close %.3f total %.3f median %.3f ms%n", modes[i], acc[i][0] / 1e6 / meas, acc[i][1] / 1e6 / meas, acc[i][2] / 1e6 / meas, acc[i][3] / 1e6 / meas, (acc[i][0] + acc[i][1] + acc[i][2] + acc[i][3]) / 1e6 / meas, s[s.length / 2]);
    }
  }
}
