import java.net.*; import java.nio.file.*; import java.util.*; import java.util.function.*;
/** FreshPair CLASSES N JAR...: FreshOnce per jar, alternating, a replay's worth of other work between. */
public class FreshPair {
  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[1]); int k = a.length - 2;
    LongSupplier[] r = new LongSupplier[k];
    for (int i = 0; i < k; i++) {
      ClassLoader l = new URLClassLoader("f-" + i, new URL[] {Path.of(a[0]).toUri().toURL(), Path.of(a[2 + i]).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
      r[i] = (LongSupplier) Class.forName("FreshOnce", true, l).getConstructor().newInstance();
    }
    long[][] t = new long[k][n]; long sink = 0;
    for (int it = 0; it < n; it++) {
      for (int j = 0; j < k; j++) {
        int i = (j + it) % k;
        t[i][it] = r[i].getAsLong();
        long x = 0; for (int q = 0; q < 3_000_000; q++) x += q * 31L ^ (x >>> 3); sink += x;
      }
    }
    int[][] ranges = {{0, 5}, {5, 50}, {50, 200}, {200, n}};
    for (int i = 0; i < k; i++) {
      StringBuilder sb = new StringBuilder(a[2 + i]);
      for (int[] g : ranges) {
        if (g[0] >= n) continue; int hi = Math.min(g[1], n);
        long[] s = Arrays.copyOfRange(t[i], g[0], hi); Arrays.sort(s); double mean = Arrays.stream(s).average().orElse(0);
        sb.append(String.format("  it %d-%d mean %.1f median %.1f us", g[0], hi, mean / 1e3, s[s.length / 2] / 1e3));
      }
      System.out.println(sb);
    }
    if (sink == 42) System.out.println();
  }
}
