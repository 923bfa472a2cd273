package dev.hicache.l1;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.api.config.IoBackend;
import dev.hicache.api.spi.Transfer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * The GPU benchmark (a plain main; run on the GPU machine by the run.sh that
 * hicache-l1-gpu/bundle.sh writes): device layer-first ↔
 * host page_first / page_first_direct / layer_first for a Llama-3-8B-shaped KV (32 layers, 8 KV
 * heads, head dim 128, bf16, 64-token pages), every strategy, both directions, whole pages and
 * layer by layer, and both directions at once; with this process's own pinned-memcpy peak (1 GiB
 * cudaMemcpyAsync each way, and both ways at once) as the same-run baseline. Prints JSON.
 *
 * <p>usage: TransferBenchmark [--pages 256] [--reps 7] [--out FILE]
 */
public final class TransferBenchmark {
  private static final Map<String, Object> RESULT = new LinkedHashMap<>();

  public static void main(String[] args) throws Exception {
    int pages = 256;
    int reps = 7;
    Path out = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--pages" -> pages = Integer.parseInt(args[++i]);
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (usage: TransferBenchmark [--pages N] [--reps N] [--out FILE])");
      }
    }
    CudaStatus status = CudaRuntime.requireReady();
    KvShape shape = KvShape.mha(32, 8, 128, DType.BF16, 64);
    RESULT.put("device", status.device());
    RESULT.put("driver", status.driverVersion());
    RESULT.put("shape", shape.toString());
    RESULT.put("pages", pages);
    RESULT.put("page_bytes", shape.bytesPerPage());
    RESULT.put("bytes_per_transfer", pages * shape.bytesPerPage());
    RESULT.put("reps", reps);
    RESULT.put("timing", "wall clock from issue to completion (await), median of reps after one warm-up");

    CudaMemoryRegistrar cuda = new CudaMemoryRegistrar();
    Map<String, Double> peak = memcpyPeak(cuda, reps);
    RESULT.put("pinned_memcpy_peak_GBps", peak);

    int devPages = Math.max(4 * pages, 64);
    int hostPages = 2 * pages + 16;
    Random rnd = new Random(2026);
    Map<String, Object> rows = new LinkedHashMap<>() {
      @Override public Object put(String k, Object v) {
        System.err.println(k + " " + v);  // progress, in case the run is cut short
        return super.put(k, v);
      }
    };
    try (CudaDevicePool dev = new CudaDevicePool(shape, devPages * 64, IoBackend.KERNEL, 0,
        CudaDevicePool.DEFAULT_STAGING_BYTES)) {
      fillDevice(dev);
      for (MemLayout layout : new MemLayout[] {MemLayout.PAGE_FIRST, MemLayout.PAGE_FIRST_DIRECT, MemLayout.LAYER_FIRST}) {
        try (PinnedHostPoolDouble host = new PinnedHostPoolDouble(shape, layout, hostPages * 64, cuda)) {
          fillHost(host.buffer());
          // Random pages; the second set (for the other direction) is disjoint from the first.
          int[] dAll = CudaDevicePoolGpuTest.pick(rnd, devPages, 2 * pages);
          int[] hAll = CudaDevicePoolGpuTest.pick(rnd, hostPages, 2 * pages);
          int[] dSlots = CudaDevicePoolGpuTest.slots(Arrays.copyOfRange(dAll, 0, pages), 64);
          int[] hSlots = CudaDevicePoolGpuTest.slots(Arrays.copyOfRange(hAll, 0, pages), 64);
          int[] dSlots2 = CudaDevicePoolGpuTest.slots(Arrays.copyOfRange(dAll, pages, 2 * pages), 64);
          int[] hSlots2 = CudaDevicePoolGpuTest.slots(Arrays.copyOfRange(hAll, pages, 2 * pages), 64);
          for (TransferStrategy s : TransferStrategy.values()) {
            rows.put(key(layout, "d2h_backup", s), rate(reps, () -> dev.transfer(false, dSlots, host, hSlots, s, false)));
            rows.put(key(layout, "h2d_whole", s), rate(reps, () -> dev.transfer(true, dSlots, host, hSlots, s, false)));
            if (s != TransferStrategy.STAGED_KERNEL && s != TransferStrategy.COPY_2D && s != TransferStrategy.STAGED_COPY) {
              rows.put(key(layout, "h2d_per_layer", s), rate(reps, () -> dev.transfer(true, dSlots, host, hSlots, s, true)));
            }
          }
          // Both directions at once, as a serving engine does: back up some pages on the write
          // stream while loading others on the load stream, through the SPI (the backend's own
          // strategies; a load completes layer by layer), and with whole-page loads.
          for (IoBackend b : IoBackend.values()) {
            TransferStrategy bs = strategyOf(b, dev, false, host);
            TransferStrategy lsLayer = strategyOf(b, dev, true, host);
            rows.put(key(layout, "spi_backup", b.flagName()), rate(reps, () -> dev.transfer(false, dSlots, host, hSlots, bs, false)));
            rows.put(key(layout, "spi_load_per_layer", b.flagName()),
                rate(reps, () -> dev.transfer(true, dSlots, host, hSlots, lsLayer, true)));
            rows.put(key(layout, "h2d_whole_default", b.flagName()),
                rate(reps, () -> dev.transfer(true, dSlots, host, hSlots, bs, false)));
            rows.put(key(layout, "bidir_spi", b.flagName()),
                bidir(reps, dev, host, dSlots, hSlots, dSlots2, hSlots2, bs, lsLayer, true));
            rows.put(key(layout, "bidir_whole", b.flagName()),
                bidir(reps, dev, host, dSlots, hSlots, dSlots2, hSlots2, bs, bs, false));
          }
          for (TransferStrategy bs : new TransferStrategy[] {TransferStrategy.COPY, TransferStrategy.COPY_2D,
              TransferStrategy.ZERO_COPY_KERNEL, TransferStrategy.STAGED_KERNEL}) {
            rows.put(key(layout, "bidir_whole_same", bs.name()),
                bidir(reps, dev, host, dSlots, hSlots, dSlots2, hSlots2, bs, bs, false));
          }
          if (layout == MemLayout.PAGE_FIRST_DIRECT) {
            // The direct backend's backup candidates against its per-layer load, as the SPI pairs them.
            for (TransferStrategy bs : new TransferStrategy[] {TransferStrategy.COPY_2D, TransferStrategy.COPY_3D,
                TransferStrategy.STAGED_COPY}) {
              rows.put(key(layout, "bidir_backup_per_layer_load", bs.name()),
                  bidir(reps, dev, host, dSlots, hSlots, dSlots2, hSlots2, bs, TransferStrategy.COPY, true));
            }
            // Backups again, interleaved, after everything above: the candidates' order must not decide.
            for (int round = 0; round < 2; round++) {
              for (TransferStrategy bs : new TransferStrategy[] {TransferStrategy.COPY_2D, TransferStrategy.COPY_3D,
                  TransferStrategy.STAGED_COPY, TransferStrategy.STAGED_KERNEL}) {
                rows.put(key(layout, "d2h_backup_again" + round, bs), rate(reps, () -> dev.transfer(false, dSlots, host,
                    hSlots, bs, false)));
              }
            }
          }
          if (layout == MemLayout.PAGE_FIRST) {
            // The zero-copy kernel's shape, alone and against a concurrent staged backup.
            for (int unroll : new int[] {4, 8}) {
              for (int bps : new int[] {2, 4}) {
                CudaNative.setUnroll(unroll);
                CudaNative.setBlocksPerSm(bps);
                String v = "zero_copy_kernel@unroll" + unroll + "_bps" + bps;
                rows.put(key(layout, "h2d_per_layer", v),
                    rate(reps, () -> dev.transfer(true, dSlots, host, hSlots, TransferStrategy.ZERO_COPY_KERNEL, true)));
                rows.put(key(layout, "bidir_staged_backup_per_layer_load", v), bidir(reps, dev, host, dSlots, hSlots,
                    dSlots2, hSlots2, TransferStrategy.STAGED_KERNEL, TransferStrategy.ZERO_COPY_KERNEL, true));
              }
            }
            CudaNative.setUnroll(4);
            CudaNative.setBlocksPerSm(4);
            // A staged backup against a per-layer load by the copy engine.
            rows.put(key(layout, "bidir_staged_backup_per_layer_load", "copy"), bidir(reps, dev, host, dSlots, hSlots,
                dSlots2, hSlots2, TransferStrategy.STAGED_KERNEL, TransferStrategy.COPY, true));
          }
          System.err.println("done " + layout);
        }
      }
    }
    RESULT.put("results_GBps", rows);
    String json = toJson(RESULT, 0);
    System.out.println(json);
    if (out != null) Files.writeString(out, json + "\n");
  }

  /** The strategy a pool of backend {@code b} (same staging size as {@code dev}) picks for {@code host}. */
  private static TransferStrategy strategyOf(IoBackend b, CudaDevicePool dev, boolean perLayer, PinnedHostPoolDouble host) {
    if (b == dev.backend()) return dev.strategyFor(perLayer, host.layout());
    try (CudaDevicePool other = new CudaDevicePool(dev.shape(), dev.shape().pageSize(), b, 0,
        CudaDevicePool.DEFAULT_STAGING_BYTES)) {
      return other.strategyFor(perLayer, host.layout());
    }
  }

  private static String key(MemLayout l, String what, Object s) {
    return l.flagName() + "/" + what + "/" + s.toString().toLowerCase(Locale.ROOT);
  }

  interface Op {
    Transfer start();
  }

  private static Object rate(int reps, Op op) throws InterruptedException {
    double[] gbps = new double[reps];
    Transfer warm = op.start();
    warm.await();
    if (warm.failure() != null) return "failed: " + warm.failure();
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      Transfer t = op.start();
      t.await();
      long dt = System.nanoTime() - t0;
      if (t.failure() != null) return "failed: " + t.failure();
      gbps[r] = t.bytes() / (dt / 1e9) / 1e9;
    }
    return stats(gbps);
  }

  private static Object bidir(int reps, CudaDevicePool dev, PinnedHostPoolDouble host, int[] dOut, int[] hOut,
      int[] dIn, int[] hIn, TransferStrategy backup, TransferStrategy load, boolean perLayer)
      throws InterruptedException {
    double[] agg = new double[reps];
    for (int r = -1; r < reps; r++) {
      long t0 = System.nanoTime();
      Transfer b = dev.transfer(false, dOut, host, hOut, backup, false);
      Transfer l = dev.transfer(true, dIn, host, hIn, load, perLayer);
      b.await();
      l.await();
      long dt = System.nanoTime() - t0;
      if (b.failure() != null || l.failure() != null) return "failed: " + b.failure() + " / " + l.failure();
      if (r >= 0) agg[r] = (b.bytes() + l.bytes()) / (dt / 1e9) / 1e9;
    }
    Map<String, Object> m = stats(agg);
    m.put("backup", backup.name());
    m.put("load", load.name() + (perLayer ? " per layer" : " whole"));
    return m;
  }

  private static Map<String, Object> stats(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("median", round(s[s.length / 2]));
    m.put("min", round(s[0]));
    m.put("max", round(s[s.length - 1]));
    return m;
  }

  private static double round(double x) {
    return Math.round(x * 100) / 100.0;
  }

  /** cudaMemcpyAsync of one 1 GiB pinned buffer each way, and both ways at once on two streams. */
  @SuppressWarnings("try")  // the registrations only need to be open while the copies run
  private static Map<String, Double> memcpyPeak(CudaMemoryRegistrar cuda, int reps) {
    long n = 1L << 30;
    Map<String, Double> m = new LinkedHashMap<>();
    try (Arena arena = Arena.ofShared()) {
      MemorySegment h1 = arena.allocate(n, 2L << 20);
      MemorySegment h2 = arena.allocate(n, 2L << 20);
      fillHost(h1);
      fillHost(h2);
      try (MemoryRegistrarScope r1 = new MemoryRegistrarScope(cuda, h1);
          MemoryRegistrarScope r2 = new MemoryRegistrarScope(cuda, h2)) {
        long d1 = CudaNative.malloc(n);
        long d2 = CudaNative.malloc(n);
        long s1 = CudaNative.streamCreate();
        long s2 = CudaNative.streamCreate();
        try {
          CudaNative.memcpy(d2, h2.address(), n);
          m.put("h2d", timeCopies(reps, n, () -> CudaNative.memcpyAsync(d1, h1.address(), n, s1), s1, 0));
          m.put("d2h", timeCopies(reps, n, () -> CudaNative.memcpyAsync(h2.address(), d2, n, s1), s1, 0));
          long c = 64L << 20;
          m.put("h2d_64MiB_pieces", timeCopies(reps, n, () -> {
            for (long at = 0; at < n; at += c) CudaNative.memcpyAsync(d1 + at, h1.address() + at, c, s1);
          }, s1, 0));
          m.put("d2h_64MiB_pieces", timeCopies(reps, n, () -> {
            for (long at = 0; at < n; at += c) CudaNative.memcpyAsync(h2.address() + at, d2 + at, c, s1);
          }, s1, 0));
          m.put("bidirectional_aggregate", timeCopies(reps, 2 * n, () -> {
            CudaNative.memcpyAsync(d1, h1.address(), n, s1);
            CudaNative.memcpyAsync(h2.address(), d2, n, s2);
          }, s1, s2));
        } finally {
          CudaNative.streamDestroy(s1);
          CudaNative.streamDestroy(s2);
          CudaNative.free(d1);
          CudaNative.free(d2);
        }
      }
    }
    return m;
  }

  private record MemoryRegistrarScope(dev.hicache.api.spi.MemoryRegistrar.Registration reg) implements AutoCloseable {
    MemoryRegistrarScope(CudaMemoryRegistrar cuda, MemorySegment seg) {
      this(cuda.register(seg));
    }

    @Override public void close() {
      reg.close();
    }
  }

  private static double timeCopies(int reps, long bytes, Runnable issue, long s1, long s2) {
    issue.run();
    CudaNative.streamSynchronize(s1);
    if (s2 != 0) CudaNative.streamSynchronize(s2);
    double[] v = new double[reps];
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      issue.run();
      CudaNative.streamSynchronize(s1);
      if (s2 != 0) CudaNative.streamSynchronize(s2);
      v[r] = bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
    }
    Arrays.sort(v);
    return round(v[v.length / 2]);
  }

  private static MemorySegment pattern;

  /** Random bytes, never zeros (zeros hide unwritten data and can run faster). */
  static synchronized void fillHost(MemorySegment seg) {
    long chunk = 64L << 20;
    if (pattern == null) {
      pattern = Arena.global().allocate(chunk, 64);
      SplittableRandom r = new SplittableRandom(1);
      for (long i = 0; i < chunk; i += 8) pattern.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
    }
    for (long at = 0; at < seg.byteSize(); at += chunk) {
      MemorySegment.copy(pattern, 0, seg, at, Math.min(chunk, seg.byteSize() - at));
    }
  }

  private static void fillDevice(CudaDevicePool dev) {
    long chunk = 256L << 20;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment src = arena.allocate(chunk, 64);
      fillHost(src);
      long total = dev.layout().totalBytes();
      for (long at = 0; at < total; at += chunk) {
        CudaNative.memcpy(dev.deviceAddress() + at, src.address(), Math.min(chunk, total - at));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static String toJson(Object o, int indent) {
    String pad = " ".repeat(indent + 1);
    if (o instanceof Map<?, ?> m) {
      List<String> parts = new ArrayList<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        parts.add(pad + "\"" + e.getKey() + "\": " + toJson(e.getValue(), indent + 1));
      }
      return "{\n" + String.join(",\n", parts) + "\n" + " ".repeat(indent) + "}";
    }
    if (o instanceof Number n) return n.toString();
    return "\"" + String.valueOf(o).replace("\\", "\\\\").replace("\"", "'") + "\"";
  }

  private TransferBenchmark() {}

}
