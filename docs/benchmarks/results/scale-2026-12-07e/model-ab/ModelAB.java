package dev.hicache.simulator.l3;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.l3.local.LocalL3Config;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.*;

/** Throwaway A/B: main's model vs the branch's, same calls, alternating rounds, thread CPU per round. */
public class ModelAB {
  public static void main(String[] a) {
    int pages = 468_750, keysN = 2_000_000, batches = Integer.parseInt(a[0]), rounds = Integer.parseInt(a[1]);
    long slot = LocalL3Config.processPrivate(1L << 20, 24, 2).slotBytes();
    LocalL3Config cfg = LocalL3Config.processPrivate(pages * slot, 24, 2, LocalL3Config.Eviction.LRU);
    SplittableRandom r = new SplittableRandom(42);
    PageKey[] keys = new PageKey[keysN];
    for (int i = 0; i < keysN; i++) { byte[] b = new byte[32]; r.nextBytes(b); keys[i] = PageKey.ofDigest(b); }
    MemorySegment[] src = {MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(new byte[16])};
    MemorySegment[] dst = {MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(new byte[16])};
    // a skewed key stream: batches of 16 consecutive keys from a random start, biased to a hot range
    int[] starts = new int[batches]; boolean[] isGet = new boolean[batches];
    for (int i = 0; i < batches; i++) { int hot = r.nextInt(4) == 0 ? keysN : 600_000; starts[i] = r.nextInt(hot - 16); isGet[i] = r.nextInt(3) == 0; }
    var mx = ManagementFactory.getThreadMXBean();
    for (int round = 0; round < rounds; round++) {
      for (int which = 0; which < 3; which++) {
        int w = (which + round) % 3;
        L3Store s = w == 0 ? new LocalLruL3ModelOld(cfg) : w == 1 ? new LocalLruL3Model(cfg) : new LocalLruL3ModelHeap(cfg);
        long t0 = mx.getCurrentThreadCpuTime(), hits = 0;
        List<PageKey> ks = new ArrayList<>(16); List<MemorySegment[]> ps = new ArrayList<>(16);
        for (int i = 0; i < batches; i++) {
          ks.clear(); ps.clear();
          for (int k = 0; k < 16; k++) { ks.add(keys[starts[i] + k]); ps.add(isGet[i] ? dst : src); }
          if (isGet[i]) { int n = s.batchExists(ks); if (n > 0) { boolean[] o = s.batchGet(ks.subList(0, n), ps.subList(0, n)); hits += o.length; } }
          else s.batchSet(ks, ps);
        }
        long t1 = mx.getCurrentThreadCpuTime();
        System.out.printf("round %d %s cpu %.3f s hits %d%n", round, w == 0 ? "main" : w == 1 ? "unaligned" : "heap", (t1 - t0) / 1e9, hits);
        s.close();
      }
    }
  }
}
