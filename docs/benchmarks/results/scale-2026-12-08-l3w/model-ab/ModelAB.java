package dev.hicache.simulator.l3;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.l3.local.LocalL3Config;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.*;

/**
 * Throwaway A/B (issue 18, l3log; l3w21: main, the previous commit (prev) and the working tree (new)): main's model (LocalLruL3ModelOld, a renamed copy of main's class) vs the
 * branch's, the same calls, alternating rounds, this thread's CPU per round. Workload "skewed" is the one of
 * scale-2026-12-07e/model-ab (batches of 16 consecutive keys, biased to a hot range a bit larger than the
 * store; 2/3 writes, 1/3 exists + get); "replay" is closer to the ten-hour replay (~85 % of write batches are
 * keys never seen, each evicting, the rest rewrites of recent pages; 1 batch in 6 an exists + get of recent pages).
 */
public class ModelAB {
  public static void main(String[] a) {
    String workload = a[0];
    int batches = Integer.parseInt(a[1]), rounds = Integer.parseInt(a[2]), B = a.length > 3 ? Integer.parseInt(a[3]) : 16;
    int pages = Integer.getInteger("pages", 468_750), keysN = workload.equals("replay") ? 4_000_000 : 2_000_000;
    long slot = LocalL3Config.processPrivate(1L << 20, 24, 2).slotBytes();
    LocalL3Config cfg = LocalL3Config.processPrivate(pages * slot, 24, 2, LocalL3Config.Eviction.LRU);
    SplittableRandom r = new SplittableRandom(42);
    PageKey[] keys = new PageKey[keysN];
    for (int i = 0; i < keysN; i++) { byte[] b = new byte[32]; r.nextBytes(b); keys[i] = PageKey.ofDigest(b); }
    MemorySegment[] src = {MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(new byte[16])};
    MemorySegment[] dst = {MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(new byte[16])};
    int[] starts = new int[batches]; boolean[] isGet = new boolean[batches];
    if (workload.equals("skewed")) {
      for (int i = 0; i < batches; i++) { int hot = r.nextInt(4) == 0 ? keysN : 600_000; starts[i] = r.nextInt(hot - B); isGet[i] = r.nextInt(3) == 0; }
    } else {
      long fresh = 0;
      int getEvery = Integer.getInteger("getEvery", 6);
      for (int i = 0; i < batches; i++) {
        isGet[i] = r.nextInt(getEvery) == 0;
        long at = isGet[i] || r.nextInt(100) >= 100 - Integer.getInteger("rewritePct", 15) ? Math.max(0, fresh - B - r.nextInt(300_000)) : (fresh += B) - B;
        starts[i] = (int) (at % (keysN - B));
      }
    }
    var mx = ManagementFactory.getThreadMXBean();
    String[] names = {"main", "new", "null", "prev"};
    for (int round = 0; round < rounds; round++) {
      for (int which = 0; which < 4; which++) {
        int w = (which + round) % 4;
        L3Store s = w == 0 ? new LocalLruL3ModelOld(cfg) : w == 1 ? new LocalLruL3Model(cfg) : w == 3 ? new LocalLruL3ModelPrev(cfg) : new NullStore();
        long t0 = mx.getCurrentThreadCpuTime(), hits = 0;
        List<PageKey> ks = new ArrayList<>(B); List<MemorySegment[]> ps = new ArrayList<>(B);
        for (int i = 0; i < batches; i++) {
          ks.clear(); ps.clear();
          for (int k = 0; k < B; k++) { ks.add(keys[starts[i] + k]); ps.add(isGet[i] ? dst : src); }
          if (isGet[i]) { int n = s.batchExists(ks); if (n > 0) { boolean[] o = s.batchGet(ks.subList(0, n), ps.subList(0, n)); hits += o.length; } }
          else s.batchSet(ks, ps);
        }
        long t1 = mx.getCurrentThreadCpuTime();
        Object st = s instanceof LocalLruL3Model m ? m.stats() : s instanceof LocalLruL3ModelOld m0 ? m0.stats() : s instanceof LocalLruL3ModelPrev mp ? mp.stats() : "null";
        System.out.printf("round %d %s cpu %.3f s hits %d %s%n", round, names[w], (t1 - t0) / 1e9, hits, st);
        if (Boolean.getBoolean("l3log.thp")) try { for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/smaps_rollup"))) if (l.startsWith("AnonHuge")) System.out.println(l); } catch (Exception e) {}
        s.close();
      }
    }
  }

  /** The harness alone: the batch checks every store makes, no store. */
  static final class NullStore implements L3Store {
    public String name() { return "null"; }
    public Capabilities capabilities() { return new Capabilities(false, false, false); }
    public int batchExists(List<PageKey> keys) { L3Store.checkBatch(keys, null); return 0; }
    public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> t) { L3Store.checkPageBatch(keys, t); return new boolean[keys.size()]; }
    public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> t) { L3Store.checkPageBatch(keys, t); return new boolean[keys.size()]; }
    public boolean remove(PageKey k) { return false; }
    public void clear() {}
    public void close() {}
  }
}
