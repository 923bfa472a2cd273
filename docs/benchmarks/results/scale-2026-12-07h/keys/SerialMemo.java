import dev.hicache.api.PageKey;
import dev.hicache.simulator.workload.SerialPageKeys;
import java.lang.invoke.*;
import java.nio.ByteOrder;

/** Experiment: BlockKeyMemo's layout over serials (group of 8 pages, slot by first serial, prefetch all slots). */
public final class SerialMemo {
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  final int group = 8, stride = 5 + 5 * 8, mask;
  final long[] t;
  final SerialPageKeys h;
  int[] bases = new int[64];
  long touched, hits, hashed;
  final byte[] scratch = new byte[32];
  SerialMemo(int log2) { mask = (1 << log2) - 1; t = new long[stride << log2]; h = new SerialPageKeys(64); }
  int slot(long s) { long x = s * 0x9E3779B97F4A7C15L; x ^= x >>> 29; return (int) (x ^ (x >>> 32)) & mask; }
  PageKey[] pageKeys(PageKey seed, long[] serials) {
    PageKey[] keys = new PageKey[serials.length];
    int groups = (serials.length + group - 1) / group;
    if (bases.length < groups) bases = new int[Math.max(groups, 2 * bases.length)];
    long sum = 0;
    for (int g = 0; g < groups; g++) { int b = slot(serials[g * group]) * stride; bases[g] = b; sum += t[b] + t[b + stride - 1]; }
    touched = sum;
    PageKey prior = seed;
    for (int g0 = 0, gi = 0; g0 < keys.length; g0 += group, gi++) {
      int n = Math.min(group, keys.length - g0);
      int base = bases[gi];
      int known = (int) t[base];
      int reused = 0;
      if (known > 0 && samePrior(base, prior)) {
        while (reused < n && reused < known && t[base + 5 + reused] == serials[g0 + reused]) {
          int at = base + 5 + group + 4 * reused;
          for (int w = 0; w < 4; w++) LONG_BE.set(scratch, 8 * w, t[at + w]);
          keys[g0 + reused] = prior = PageKey.ofDigest(scratch);
          reused++;
        }
        hits += reused;
      }
      for (int p = g0 + reused; p < g0 + n; p++) { keys[p] = prior = h.key(prior, serials[p]); hashed++; }
      if (reused < n) {
        PageKey pr = g0 == 0 ? seed : keys[g0 - 1];
        t[base] = n;
        if (pr == null) { t[base+1]=t[base+2]=t[base+3]=t[base+4]=0; t[base] |= 1L << 32; }
        else for (int w = 0; w < 4; w++) t[base + 1 + w] = pr.word(w);
        for (int j = 0; j < n; j++) {
          t[base + 5 + j] = serials[g0 + j];
          PageKey k = keys[g0 + j]; int at = base + 5 + group + 4 * j;
          for (int w = 0; w < 4; w++) t[at + w] = k.word(w);
        }
      }
    }
    return keys;
  }
  boolean samePrior(int base, PageKey prior) {
    boolean none = (t[base] >>> 32) != 0;
    if (prior == null) return none;
    return !none && t[base+1]==prior.word(0) && t[base+2]==prior.word(1) && t[base+3]==prior.word(2) && t[base+4]==prior.word(3);
  }
}
