package dev.hicache.l1;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.IoBackend;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.DevicePool;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.Transfer;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.pool.HostMemoryDevicePool;
import dev.hicache.l2.memory.AllocationOptions;
import dev.hicache.l2.memory.HostMemoryAllocator;
import dev.hicache.l2.memory.PagePath;
import dev.hicache.l2.pool.HostKvPool;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The copy-time calibration's benchmark main (docs/calibration.md#copies): replays a slice of the
 * conversation trace through a real {@link HiCache} on real tiers — L1 {@link CudaDevicePool}, L2
 * {@link HostKvPool} on reserved HugeTLB pages pinned with {@link CudaMemoryRegistrar}, L3 the
 * embedded {@link LocalL3Store} in persistent mode — one request at a time, and records every copy
 * the engine makes through the tiers' SPIs: its kind (L2→L1 load, L1→L2 backup, L3 query, L3→L2
 * read, L2→L3 write), its pages and bytes, and its wall time from the SPI call to completion as the
 * engine sees it (device copies: until the transfer's last event; L3 calls: the call itself). The
 * simulator's {@code CopyCalibrationTest} applies the simulator's cost model to the same copies and
 * compares, request by request.
 *
 * <p>{@code --dry-run} runs the same code here without a GPU or hugepages: a {@link
 * HostMemoryDevicePool} for L1 and regular pages for L2 (its figures mean nothing; it checks the
 * code paths).
 *
 * <p>Output (in {@code --out}): {@code copies.csv} (one line per SPI call), {@code requests.csv} (one
 * line per request: what it hit where), {@code run.json} (machine, shape, tiers, slice).
 *
 * <p>{@code --write-slice} writes the slice's trace lines to the file {@code --out} and stops.
 *
 * <p>usage: CopyCalibration --trace FILE --out DIR [--dry-run | --write-slice] [--requests N] [--every K] [--min-turns M]
 * [--kv-heads H] [--device-pages N] [--host-pages N] [--l3-pages N] [--l3-dir DIR] [--layout L] [--backend B]
 * [--watch spin|block] [--l3-prefault on|off]
 *
 * <p>{@code --l3-prefault on} (the default) faults the L3's slab file in before the replay
 * (LocalL3Store.prefault), so that its writes are priced as a store in service takes them, not with
 * the file system's first-touch page allocation (on tmpfs about ten times slower); {@code off}
 * measures a cold store.
 */
public final class CopyCalibration {
  private static final Pattern NUMBER = Pattern.compile("\"(timestamp|input_length|output_length)\"\\s*:\\s*(\\d+)");
  private static final Pattern HASHES = Pattern.compile("\"hash_ids\"\\s*:\\s*\\[([0-9,\\s]*)]");
  /** Tokens per trace block (the FAST'25 traces hash 512-token blocks). */
  static final int BLOCK_TOKENS = 512;

  /** One request of the trace: its arrival (ms), prompt length and block ids. */
  record TraceRequest(int line, long timestampMs, int inputLength, int[] hashIds) {
    /** The prompt: block b's i-th token is {@code b * 512 + i}, so equal blocks give equal pages. */
    int[] tokens() {
      int[] t = new int[inputLength];
      for (int i = 0; i < inputLength; i++) t[i] = hashIds[i / BLOCK_TOKENS] * BLOCK_TOKENS + i % BLOCK_TOKENS;
      return t;
    }

    /** The conversation: its first block after the shared first one. */
    int conversation() {
      return hashIds.length > 1 ? hashIds[1] : -1;
    }
  }

  /** Reads the trace; a malformed line is an error naming the file and line. */
  static List<TraceRequest> readTrace(Path file) {
    List<TraceRequest> out = new ArrayList<>();
    try (Stream<String> lines = Files.lines(file)) {
      int[] n = {0};
      lines.forEach(l -> {
        n[0]++;
        if (l.isBlank()) return;
        Map<String, Long> v = new HashMap<>();
        Matcher m = NUMBER.matcher(l);
        while (m.find()) v.put(m.group(1), Long.parseLong(m.group(2)));
        Matcher h = HASHES.matcher(l);
        if (!v.containsKey("timestamp") || !v.containsKey("input_length") || !h.find()) {
          throw new IllegalArgumentException(file + ":" + n[0] + ": not a trace request (needs timestamp, input_length, hash_ids)");
        }
        String body = h.group(1).trim();
        int[] ids = body.isEmpty() ? new int[0] : Arrays.stream(body.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        int len = Math.toIntExact(v.get("input_length"));
        if (len > (long) ids.length * BLOCK_TOKENS || len < 1) {
          throw new IllegalArgumentException(file + ":" + n[0] + ": input_length " + len + " does not fit " + ids.length
              + " blocks of " + BLOCK_TOKENS + " tokens");
        }
        out.add(new TraceRequest(n[0], v.get("timestamp"), len, ids));
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the trace " + file, e);
    }
    return out;
  }

  /**
   * The slice: every request of the conversations with at least {@code minTurns} turns whose
   * conversation id is a multiple of {@code every}, in trace order, at most {@code limit}. Taking
   * whole conversations keeps each one's reuse; taking one in {@code every} shortens the reuse
   * distances {@code every}-fold, so that histories come back from L2 and L3 within a short replay.
   */
  static List<TraceRequest> slice(List<TraceRequest> all, int every, int minTurns, int limit) {
    Map<Integer, Integer> turns = new HashMap<>();
    for (TraceRequest r : all) turns.merge(r.conversation(), 1, Integer::sum);
    List<TraceRequest> out = new ArrayList<>();
    for (TraceRequest r : all) {
      int c = r.conversation();
      if (c >= 0 && c % every == 0 && turns.get(c) >= minTurns && out.size() < limit) out.add(r);
    }
    return out;
  }

  /** Every copy the engine made, per request. */
  static final class CopyLog {
    /** {@code deviceNanos}: the device's own time between events recorded before and after the call (-1: not measured). */
    record Entry(int request, String kind, int pages, long bytes, long startNanos, long issueNanos, long durationNanos,
                 long deviceNanos, boolean ok) {}

    final List<Entry> entries = new ArrayList<>();
    final AtomicInteger active = new AtomicInteger();
    final AtomicLong started = new AtomicLong();
    volatile int request = -1;
    final long t0 = System.nanoTime();

    synchronized void add(Entry e) {
      entries.add(e);
    }

    int begin() {
      active.incrementAndGet();
      started.incrementAndGet();
      return request;
    }
  }

  /**
   * How the watcher sees a transfer complete: {@code SPIN} queries its events in a loop, as the
   * engine's poll() does, so the time is the copy's and not a thread's wake-up; {@code BLOCK} waits
   * in {@link Transfer#await} (cudaEventSynchronize on events made with cudaEventBlockingSync), which
   * adds the wake-up of a sleeping thread (the first calibration's method).
   */
  enum Watch { SPIN, BLOCK }

  /** The L1 pool with every backup and load timed from the call until its transfer completes. */
  static final class TimedDevicePool implements DevicePool {
    private final DevicePool d;
    private final CopyLog log;
    private final Watch watch;
    // One watcher per direction: each direction is one stream, completing in issue order.
    private final ExecutorService backups = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().factory());
    private final ExecutorService loads = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().factory());

    TimedDevicePool(DevicePool d, CopyLog log, Watch watch) {
      this.d = d;
      this.log = log;
      this.watch = watch;
    }

    @Override public Transfer backup(int[] deviceSlots, HostPool host, int[] hostSlots) {
      return timed("backup", deviceSlots.length, backups, () -> d.backup(deviceSlots, host, hostSlots));
    }

    @Override public Transfer load(int[] hostSlots, HostPool host, int[] deviceSlots) {
      return timed("load", deviceSlots.length, loads, () -> d.load(hostSlots, host, deviceSlots));
    }

    private Transfer timed(String kind, int slots, ExecutorService watcher, java.util.function.Supplier<Transfer> call) {
      int req = log.begin();
      // The device's own time: timed events on the stream the transfer completes on, recorded before and
      // after the call (one scheduler thread issues every copy, so nothing else lands between them).
      CudaDevicePool cuda = d instanceof CudaDevicePool c ? c : null;
      long stream = cuda == null ? 0 : cuda.completionStream(kind.equals("load"));
      long evStart = cuda == null ? 0 : CudaNative.eventCreateTimed();
      long evEnd = cuda == null ? 0 : CudaNative.eventCreateTimed();
      if (cuda != null) CudaNative.eventRecord(evStart, stream);
      long t0 = System.nanoTime();
      Transfer t;
      try {
        t = call.get();
      } catch (RuntimeException e) {
        log.active.decrementAndGet();
        if (cuda != null) {
          CudaNative.eventDestroy(evStart);
          CudaNative.eventDestroy(evEnd);
        }
        throw e;
      }
      long issued = System.nanoTime();
      if (cuda != null) CudaNative.eventRecord(evEnd, stream);
      int pages = slots / d.shape().pageSize();
      watcher.execute(() -> {
        try {
          if (watch == Watch.BLOCK) {
            t.await();
          } else {
            while (t.layersDone() < t.layers() && t.failure() == null) Thread.onSpinWait();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        long t1 = System.nanoTime();
        long device = -1;
        if (cuda != null) {
          CudaNative.eventSynchronize(evEnd);
          device = Math.round(CudaNative.eventElapsedMillis(evStart, evEnd) * 1e6);
          CudaNative.eventDestroy(evStart);
          CudaNative.eventDestroy(evEnd);
        }
        log.add(new CopyLog.Entry(req, kind, pages, t.bytes(), t0 - log.t0, issued - t0, t1 - t0, device,
            t.failure() == null));
        log.active.decrementAndGet();
      });
      return t;
    }

    @Override public dev.hicache.api.KvShape shape() { return d.shape(); }
    @Override public int capacityTokens() { return d.capacityTokens(); }
    @Override public int availableTokens() { return d.availableTokens(); }
    @Override public int[] alloc(int tokens) { return d.alloc(tokens); }
    @Override public void free(int[] slots) { d.free(slots); }
    @Override public long outstandingBytes() { return d.outstandingBytes(); }

    @Override public void close() {
      backups.shutdown();
      loads.shutdown();
      try {
        backups.awaitTermination(30, TimeUnit.SECONDS);
        loads.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      d.close();
    }
  }

  /** The L3 store with every call timed. */
  static final class TimedL3Store implements L3Store {
    private final L3Store s;
    private final CopyLog log;

    TimedL3Store(L3Store s, CopyLog log) {
      this.s = s;
      this.log = log;
    }

    @Override public String name() { return s.name(); }
    @Override public Capabilities capabilities() { return s.capabilities(); }

    @Override public int batchExists(List<PageKey> keys) {
      int req = log.begin();
      long t0 = System.nanoTime();
      int n = 0;
      boolean ok = false;
      try {
        n = s.batchExists(keys);
        ok = true;
        return n;
      } finally {
        log.add(new CopyLog.Entry(req, "l3_query", keys.size(), 0, t0 - log.t0, 0, System.nanoTime() - t0, -1, ok));
        log.active.decrementAndGet();
      }
    }

    @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
      return io("l3_read", keys, targets, () -> s.batchGet(keys, targets));
    }

    @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
      return io("l3_write", keys, sources, () -> s.batchSet(keys, sources));
    }

    private boolean[] io(String kind, List<PageKey> keys, List<MemorySegment[]> pages,
        java.util.function.Supplier<boolean[]> call) {
      int req = log.begin();
      long bytes = 0;
      for (MemorySegment[] p : pages) for (MemorySegment m : p) bytes += m.byteSize();
      long t0 = System.nanoTime();
      boolean ok = false;
      try {
        boolean[] r = call.get();
        ok = true;
        for (boolean b : r) ok &= b;
        return r;
      } finally {
        log.add(new CopyLog.Entry(req, kind, keys.size(), bytes, t0 - log.t0, 0, System.nanoTime() - t0, -1, ok));
        log.active.decrementAndGet();
      }
    }

    @Override public boolean remove(PageKey key) { return s.remove(key); }
    @Override public Removal removePage(PageKey key) { return s.removePage(key); }
    @Override public void clear() { s.clear(); }
    @Override public void close() { s.close(); }
  }

  record Served(TraceRequest t, int promptTokens, int deviceHit, int hostHit, int storageHit, long queuedNanos,
                long loadNanos, long serveNanos, boolean cached) {}

  public static void main(String[] args) throws Exception {
    Path trace = null;
    Path out = null;
    boolean dryRun = false;
    boolean writeSlice = false;
    int limit = Integer.MAX_VALUE;
    int every = 16;
    int minTurns = 3;
    int kvHeads = 1;
    int devicePages = 1024;
    int hostPages = 4096;
    int l3Pages = 24576;
    Path l3Dir = null;
    MemLayout layout = MemLayout.PAGE_FIRST;
    IoBackend backend = IoBackend.KERNEL;
    Watch watch = Watch.SPIN;
    boolean prefault = true;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--dry-run")) {
        dryRun = true;
        continue;
      }
      if (a.equals("--write-slice")) {
        writeSlice = true;
        continue;
      }
      if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
      String v = args[++i];
      switch (a) {
        case "--trace" -> trace = Path.of(v);
        case "--out" -> out = Path.of(v);
        case "--requests" -> limit = positive(a, v);
        case "--every" -> every = positive(a, v);
        case "--min-turns" -> minTurns = positive(a, v);
        case "--kv-heads" -> kvHeads = positive(a, v);
        case "--device-pages" -> devicePages = positive(a, v);
        case "--host-pages" -> hostPages = positive(a, v);
        case "--l3-pages" -> l3Pages = positive(a, v);
        case "--l3-dir" -> l3Dir = Path.of(v);
        case "--layout" -> layout = MemLayout.valueOf(v.toUpperCase(Locale.ROOT));
        case "--backend" -> backend = IoBackend.valueOf(v.toUpperCase(Locale.ROOT));
        case "--l3-prefault" -> prefault = switch (v) {
          case "on" -> true;
          case "off" -> false;
          default -> throw new IllegalArgumentException("--l3-prefault must be on or off, got '" + v + "'");
        };
        case "--watch" -> watch = switch (v) {
          case "spin" -> Watch.SPIN;
          case "block" -> Watch.BLOCK;
          default -> throw new IllegalArgumentException("--watch must be spin or block, got '" + v + "'");
        };
        default -> throw new IllegalArgumentException("unknown argument " + a + " (usage: CopyCalibration --trace FILE"
            + " --out DIR [--dry-run] [--requests N] [--every K] [--min-turns M] [--kv-heads H] [--device-pages N]"
            + " [--host-pages N] [--l3-pages N] [--l3-dir DIR] [--layout L] [--backend B] [--watch spin|block] [--l3-prefault on|off])");
      }
    }
    if (trace == null || out == null) throw new IllegalArgumentException("--trace FILE and --out DIR are required");
    if (writeSlice) {
      // The slice's own lines, verbatim, into --out as a file: what travels to the GPU machine (whole
      // conversations, so the slice of the slice is itself).
      List<String> lines = Files.readAllLines(trace);
      StringBuilder b = new StringBuilder();
      for (TraceRequest r : slice(readTrace(trace), every, minTurns, limit)) b.append(lines.get(r.line() - 1)).append('\n');
      Files.writeString(out, b);
      return;
    }
    Files.createDirectories(out);
    if (l3Dir == null) l3Dir = Files.createTempDirectory("hicache-copycal-l3");
    Files.createDirectories(l3Dir);

    // A Llama-3-8B-shaped KV (32 layers, head dim 128, bf16, 64-token pages) of one rank: --kv-heads 1
    // is a rank of TP 8, 1 MiB a page, so that a few hundred multi-thousand-token requests fit the tiers.
    KvShape shape = KvShape.mha(32, kvHeads, 128, DType.BF16, 64);
    int ps = shape.pageSize();
    HiCacheConfig config = HiCacheConfig.builder().pageSize(ps).writePolicy(WritePolicyKind.WRITE_THROUGH)
        .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).ioBackend(backend).memLayout(layout).build();
    List<String> warnings = new ArrayList<>();
    config = config.resolve(warnings);

    List<TraceRequest> requests = slice(readTrace(trace), every, minTurns, limit);
    System.err.println("copy calibration: " + requests.size() + " requests, shape " + shape + ", L1 " + devicePages
        + " pages, L2 " + hostPages + ", L3 " + l3Pages + (dryRun ? " (dry run: host-memory L1, regular-page L2)" : ""));

    CopyLog log = new CopyLog();
    Map<String, Object> meta = new java.util.LinkedHashMap<>();
    meta.put("what", "copy calibration: a slice of the conversation trace through HiCache on real tiers, one request at a time");
    meta.put("dry_run", dryRun);
    meta.put("shape", shape.toString());
    meta.put("page_bytes", shape.bytesPerPage());
    meta.put("config", "write_through, wait_complete, io backend " + config.ioBackend().flagName() + ", host layout "
        + config.memLayout().flagName() + (warnings.isEmpty() ? "" : " (" + String.join("; ", warnings) + ")"));
    meta.put("slice", "conversations with >= " + minTurns + " turns whose second block id is a multiple of " + every
        + ", trace order, at most " + (limit == Integer.MAX_VALUE ? "all" : limit) + ": " + requests.size() + " requests");
    meta.put("tiers_pages", "L1 " + devicePages + ", L2 " + hostPages + ", L3 " + l3Pages);
    meta.put("timing", "wall clock from the SPI call to completion: device copies until the transfer's last event"
        + (watch == Watch.SPIN ? " (a watcher thread per direction queries its events in a loop, as poll() does)"
            : " (a watcher thread per direction blocks in Transfer.await)")
        + ", device_ns between timed events recorded before and after the call; L3 calls the call itself");
    meta.put("watch", watch.name().toLowerCase(Locale.ROOT));
    meta.put("java", Runtime.version().toString());

    CudaMemoryRegistrar cuda = dryRun ? null : new CudaMemoryRegistrar();
    if (!dryRun) {
      CudaStatus st = CudaRuntime.requireReady();
      meta.put("device", st.device());
      meta.put("driver", st.driverVersion());
    }
    DevicePool rawDevice = dryRun
        ? new HostMemoryDevicePool(shape, devicePages * ps, Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().factory()))
        : CudaDevicePool.create(shape, devicePages * ps, config.ioBackend());
    HostMemoryAllocator allocator = HostMemoryAllocator.system();
    AllocationOptions options = dryRun ? AllocationOptions.only(PagePath.REGULAR).withPopulate(true)
        : AllocationOptions.only(PagePath.HUGETLB_2M).withPopulate(true);
    HostKvPool host = HostKvPool.create(shape, config.memLayout(), hostPages * ps, allocator, options,
        dryRun ? List.of() : List.of(cuda));
    meta.put("host_allocation", host.allocationReport().toString());
    LocalL3Config l3Config = LocalL3Config.of(l3Dir, (long) l3Pages * (shape.bytesPerPage() + 4096),
        shape.bytesPerPage() + 16, 2);
    meta.put("l3", "LocalL3Store persistent in " + l3Dir + ", " + l3Config.capacityBytes() + " bytes");
    List<Served> served = new ArrayList<>();
    System.err.println("copy calibration: tiers made in " + (System.nanoTime() - log.t0) / 1_000_000 + " ms");
    long wall0 = System.nanoTime();
    try (LocalL3Store rawL3 = LocalL3Store.open(l3Config);
        TimedL3Store l3 = new TimedL3Store(rawL3, log);
        HiCache cache = HiCache.builder(config).devicePool(new TimedDevicePool(rawDevice, log, watch)).hostPool(host)
            .storage(l3).build()) {
      System.err.println("copy calibration: L3 opened, engine built in " + (System.nanoTime() - wall0) / 1_000_000 + " ms");
      if (prefault) {
        long p0 = System.nanoTime();
        long bytes = rawL3.prefault();
        long ms = (System.nanoTime() - p0) / 1_000_000;
        meta.put("l3_prefault", "slab faulted in before the replay: " + bytes + " bytes in " + ms + " ms");
        System.err.println("copy calibration: L3 slab faulted in (" + bytes + " bytes) in " + ms + " ms");
      } else {
        meta.put("l3_prefault", "off: a cold slab (first writes fault its pages in)");
      }
      wall0 = System.nanoTime();
      for (int i = 0; i < requests.size(); i++) {
        TraceRequest t = requests.get(i);
        int[] prompt = t.tokens();
        log.request = i;
        long s0 = System.nanoTime();
        cache.enqueue(i, prompt);
        while (!cache.readyToAdmit(i)) {
          if (cache.poll() == 0) Thread.onSpinWait();
        }
        long s1 = System.nanoTime();
        CacheRequest r = cache.admit(i, prompt, 0);
        r.load().await();
        long s2 = System.nanoTime();
        boolean fits = true;
        try {
          while (!cache.extend(r, prompt.length)) {
            if (cache.poll() == 0) Thread.onSpinWait();
          }
        } catch (dev.hicache.core.engine.NeverFitsException e) {
          fits = false;  // larger than L1: computed, not cached (as the simulator serves it)
        }
        if (fits) cache.finish(r, prompt, prompt.length);
        else cache.abort(r);
        quiesce(cache, log);
        long s3 = System.nanoTime();
        served.add(new Served(t, prompt.length, r.deviceHitTokens(), r.hostHitTokens(), r.storageHitTokens(), s1 - s0,
            s2 - s1, s3 - s0, fits));
        if ((i + 1) % 25 == 0) System.err.println("  " + (i + 1) + "/" + requests.size() + " requests");
      }
    }
    meta.put("wall_seconds", Math.round((System.nanoTime() - wall0) / 1e7) / 100.0);
    host.close();
    write(out, log, served, meta);
    System.err.println("copy calibration: " + log.entries.size() + " copies of " + served.size() + " requests in "
        + meta.get("wall_seconds") + " s; wrote " + out);
  }

  /**
   * Whether the engine's storage controller has nothing queued or moving (its L3 backups wait in
   * the port's write lane, where the store's wrapper does not see them yet). The engine exports no
   * such query, so the benchmark reads it reflectively: HiCache.controller.storage().idle().
   */
  static boolean storageIdle(HiCache cache) {
    try {
      java.lang.reflect.Field f = HiCache.class.getDeclaredField("controller");
      f.setAccessible(true);
      Object controller = f.get(cache);
      java.lang.reflect.Method m = controller.getClass().getDeclaredMethod("storage");
      m.setAccessible(true);
      Object storage = m.invoke(controller);
      return storage == null || (boolean) storage.getClass().getMethod("idle").invoke(storage);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the storage controller's state", e);
    }
  }

  /** Polls until nothing is in flight or queued, and no copy has started for a while (an L3 write follows its L2 backup). */
  private static void quiesce(HiCache cache, CopyLog log) throws InterruptedException {
    long quietSince = System.nanoTime();
    long seen = log.started.get();
    while (true) {
      cache.poll();
      boolean idle = cache.inFlightBackups() == 0 && cache.inFlightLoads() == 0 && log.active.get() == 0
          && storageIdle(cache);
      long now = System.nanoTime();
      if (!idle || log.started.get() != seen) {
        seen = log.started.get();
        quietSince = now;
      } else if (now - quietSince > 3_000_000) {
        return;
      }
      Thread.sleep(0, 100_000);
    }
  }

  private static void write(Path out, CopyLog log, List<Served> served, Map<String, Object> meta) throws IOException {
    StringBuilder c = new StringBuilder("request,kind,pages,bytes,start_ns,issue_ns,duration_ns,ok,device_ns\n");
    List<CopyLog.Entry> es = new ArrayList<>(log.entries);
    es.sort(Comparator.comparingLong(CopyLog.Entry::startNanos));
    for (CopyLog.Entry e : es) {
      c.append(e.request()).append(',').append(e.kind()).append(',').append(e.pages()).append(',').append(e.bytes())
          .append(',').append(e.startNanos()).append(',').append(e.issueNanos()).append(',').append(e.durationNanos())
          .append(',').append(e.ok()).append(',').append(e.deviceNanos()).append('\n');
    }
    Files.writeString(out.resolve("copies.csv"), c);
    StringBuilder r = new StringBuilder(
        "request,trace_line,timestamp_ms,prompt_tokens,device_hit_tokens,host_hit_tokens,storage_hit_tokens,queued_ns,load_ns,serve_ns,cached\n");
    for (int i = 0; i < served.size(); i++) {
      Served s = served.get(i);
      r.append(i).append(',').append(s.t().line()).append(',').append(s.t().timestampMs()).append(',')
          .append(s.promptTokens()).append(',').append(s.deviceHit()).append(',').append(s.hostHit()).append(',')
          .append(s.storageHit()).append(',').append(s.queuedNanos()).append(',').append(s.loadNanos()).append(',')
          .append(s.serveNanos()).append(',').append(s.cached()).append('\n');
    }
    Files.writeString(out.resolve("requests.csv"), r);
    StringBuilder j = new StringBuilder("{\n");
    int k = 0;
    for (Map.Entry<String, Object> e : meta.entrySet()) {
      Object v = e.getValue();
      String val = v instanceof Number || v instanceof Boolean ? v.toString()
          : "\"" + String.valueOf(v).replace("\\", "\\\\").replace("\"", "'").replace("\n", " ") + "\"";
      j.append("  \"").append(e.getKey()).append("\": ").append(val).append(++k < meta.size() ? ",\n" : "\n");
    }
    Files.writeString(out.resolve("run.json"), j.append("}\n"));
  }

  private static int positive(String flag, String v) {
    try {
      int n = Integer.parseInt(v);
      if (n > 0) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(flag + " must be a positive integer, got '" + v + "'");
  }

  private CopyCalibration() {}
}
