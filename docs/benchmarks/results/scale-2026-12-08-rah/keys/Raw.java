import java.security.*;
import java.lang.invoke.*;
import java.nio.ByteOrder;
public class Raw {
  static final VarHandle L = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  static final VarHandle I = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  static final MethodHandle COMPRESS; static final VarHandle STATE; static final Class<?> SHA2;
  static {
    try {
      Class<?> c = Class.forName("sun.security.provider.SHA2");
      var lk = MethodHandles.privateLookupIn(c, MethodHandles.lookup());
      COMPRESS = lk.findVirtual(c, "implCompress", MethodType.methodType(void.class, byte[].class, int.class)).asType(MethodType.methodType(void.class, Object.class, byte[].class, int.class));
      STATE = lk.findVarHandle(c, "state", int[].class);
      SHA2 = c;
    } catch (Exception e) { throw new RuntimeException(e); }
  }
  static final int[] IV = {0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19};
  static long cpu() { return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime(); }
  static long runMd(MessageDigest sha, int n) throws Exception {
    byte[] m = new byte[44], d = new byte[32]; long acc = 0;
    for (int i = 0; i < n; i++) {
      L.set(m, 32, (long) i); I.set(m, 40, 64);
      sha.update(m, 0, 44); sha.digest(d, 0, 32);
      System.arraycopy(d, 0, m, 0, 32);
      acc += (long) L.get(d, 0);
    }
    return acc;
  }
  static long runRaw(Object sha, int n) throws Throwable {
    int[] st = (int[]) STATE.get(sha);
    byte[] blk = new byte[64]; long acc = 0;
    blk[44] = (byte) 0x80; L.set(blk, 56, 44L * 8);
    for (int i = 0; i < n; i++) {
      L.set(blk, 32, (long) i); I.set(blk, 40, 64);
      System.arraycopy(IV, 0, st, 0, 8);
      COMPRESS.invokeExact(sha, blk, 0);
      long w0 = (long) st[0] << 32 | (st[1] & 0xFFFFFFFFL), w1 = (long) st[2] << 32 | (st[3] & 0xFFFFFFFFL), w2 = (long) st[4] << 32 | (st[5] & 0xFFFFFFFFL), w3 = (long) st[6] << 32 | (st[7] & 0xFFFFFFFFL);
      L.set(blk, 0, w0); L.set(blk, 8, w1); L.set(blk, 16, w2); L.set(blk, 24, w3);
      acc += w0;
    }
    return acc;
  }
  public static void main(String[] a) throws Throwable {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    Object raw = Class.forName("sun.security.provider.SHA2$SHA256").getDeclaredConstructor().newInstance();
    if (a.length == 0) System.out.println(runMd(md, 1000) == runRaw(raw, 1000));
    boolean only = a.length > 0; for (int r = 0; r < 3; r++) { runMd(md, 2_000_000); if (!only) runRaw(raw, 2_000_000); }
    for (int r = 0; r < 4; r++) {
      long t0 = cpu(); long x = runMd(md, 5_000_000); long t1 = cpu(); long y = only ? x : runRaw(raw, 5_000_000); long t2 = cpu();
      System.out.printf("md %.1f ns/page  raw %.1f ns/page %b%n", (t1-t0)/5e6, (t2-t1)/5e6, x == y);
    }
  }
}
