package dev.hicache.l1;

import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.api.config.IoBackend;
import dev.hicache.api.spi.DevicePool;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.Transfer;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The L1 KV pool in GPU memory: one cudaMalloc'd buffer, layer-first like SGLang's (MHA
 * {@code (2, layer, slot, head, dim)}, MLA {@code (layer, slot, 1, kv_dim)}), handed out a page at a
 * time.
 *
 * <p>Backups (device → host, all layers) run on the write stream, loads (host → device, layer by
 * layer, one event per layer) on the load stream, so a backup and a load proceed at once over
 * PCIe's two directions. The host side's offsets come from the host pool's {@link
 * LayoutDescriptor}; its buffer must be registered through {@link CudaMemoryRegistrar}.
 *
 * <p>Every byte is accounted: {@link #outstandingBytes()} is the KV buffer plus the two staging
 * rings; close waits for the streams, then frees them all; a second close does nothing; any other
 * use after close throws {@link IllegalStateException}.
 */
public final class CudaDevicePool implements DevicePool {
  /** Default bytes of each direction's staging ring (two slots). */
  public static final long DEFAULT_STAGING_BYTES = 64L << 20;
  private static final int STAGING_SLOTS = 2;

  private final KvShape shape;
  private final int capacityTokens;
  private final IoBackend backend;
  private final LayoutDescriptor layout;
  private final Strides strides;
  private final FifoPageAllocator pages;
  private final int device;
  private final long maxPitch;
  private final long stagingBytes;

  private long base;
  private long writeStaging;
  private long loadStaging;
  private final Lane write;
  private final Lane load;
  private long outstanding;
  private volatile boolean closed;

  private final ArrayDeque<Long> freeEvents = new ArrayDeque<>();
  private final List<Long> allEvents = new ArrayList<>();
  private final Set<CudaTransfer> live = Collections.newSetFromMap(new IdentityHashMap<>());

  /** A stream with its auxiliary stream (for the staged path's kernels). */
  private record Lane(long stream, long aux, String name) {}

  /**
   * @param capacityTokens token slots, a multiple of the page size
   * @param backend {@code --hicache-io-backend}
   */
  public static CudaDevicePool create(KvShape shape, int capacityTokens, IoBackend backend) {
    return new CudaDevicePool(shape, capacityTokens, backend, 0, DEFAULT_STAGING_BYTES);
  }

  /**
   * @param device the CUDA device index
   * @param stagingBytes bytes of each direction's staging ring (0: no staged transfers)
   */
  public CudaDevicePool(KvShape shape, int capacityTokens, IoBackend backend, int device, long stagingBytes) {
    CudaStatus status = CudaRuntime.requireReady();
    if (capacityTokens <= 0 || capacityTokens % shape.pageSize() != 0) {
      throw new IllegalArgumentException("device pool capacity " + capacityTokens
          + " tokens must be a positive multiple of the page size " + shape.pageSize());
    }
    if (backend == null) throw new IllegalArgumentException("--hicache-io-backend is required");
    if (stagingBytes < 0) throw new IllegalArgumentException("staging bytes must be >= 0, got " + stagingBytes);
    this.shape = shape;
    this.capacityTokens = capacityTokens;
    this.backend = backend;
    this.layout = new LayoutDescriptor(shape, MemLayout.LAYER_FIRST, capacityTokens);
    this.strides = Strides.of(layout);
    this.pages = new FifoPageAllocator(capacityTokens / shape.pageSize(), shape.pageSize());
    this.device = device;
    this.maxPitch = status.maxPitch() > 0 ? status.maxPitch() : Integer.MAX_VALUE;
    this.stagingBytes = stagingBytes;
    CudaNative.setDevice(device);
    long b = 0, ws = 0, ls = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    try {
      b = CudaNative.malloc(layout.totalBytes());
      if (stagingBytes > 0) {
        ws = CudaNative.malloc(stagingBytes);
        ls = CudaNative.malloc(stagingBytes);
      }
      s1 = CudaNative.streamCreate();
      s2 = CudaNative.streamCreate();
      s3 = CudaNative.streamCreate();
      s4 = CudaNative.streamCreate();
    } catch (CudaException e) {
      // Nothing half-made survives a failed constructor.
      for (long s : new long[] {s1, s2, s3, s4}) if (s != 0) CudaNative.streamDestroy(s);
      for (long p : new long[] {b, ws, ls}) if (p != 0) CudaNative.free(p);
      throw e;
    }
    this.base = b;
    this.writeStaging = ws;
    this.loadStaging = ls;
    this.write = new Lane(s1, s2, "write");
    this.load = new Lane(s3, s4, "load");
    this.outstanding = layout.totalBytes() + 2 * stagingBytes;
  }

  @Override public KvShape shape() {
    return shape;
  }

  /** The device buffer's layout (always layer_first). */
  public LayoutDescriptor layout() {
    return layout;
  }

  public IoBackend backend() {
    return backend;
  }

  @Override public int capacityTokens() {
    return capacityTokens;
  }

  @Override public int availableTokens() {
    checkOpen();
    return pages.availableTokens();
  }

  @Override public int[] alloc(int tokens) {
    checkOpen();
    return pages.alloc(tokens);
  }

  @Override public void free(int[] slots) {
    checkOpen();
    pages.free(slots);
  }

  @Override public synchronized long outstandingBytes() {
    return outstanding;
  }

  /**
   * The strategy this pool's backend uses for a transfer with a host pool of layout {@code host}
   * (the fastest measured, docs/design.md#gpu-transfers):
   *
   * <ul>
   *   <li>{@code direct}: copy-engine copies only — both parts and all layers of a page in one 3-D
   *       copy for a backup or whole load (where the host layout allows; else all layers of a (part,
   *       page) in one 2-D copy), one copy per contiguous run for a per-layer load. (Whole pages as
   *       contiguous runs batched per layer were measured too and rejected: slower as backups; so was
   *       the staging ring with a copy-engine relayout, STAGED_COPY.)
   *   <li>{@code kernel}: whatever reaches the PCIe limit. Whole pages go through the staging ring
   *       (copy engine + relayout kernel) where the host's page blocks are contiguous (page_first,
   *       page_first_direct), else as 2-D copies (layer_first). A per-layer load uses the copy
   *       engine where each (part, layer, page) is one contiguous run on the host (page_first_direct,
   *       layer_first) and the zero-copy gather kernel where it is strided (page_first), which the
   *       copy engine handles at less than half the rate.
   * </ul>
   */
  public TransferStrategy strategyFor(boolean perLayer, LayoutDescriptor host) {
    Strides hs = Strides.of(host);
    boolean contiguousRuns = hs.pageRunContiguous(shape.itemBytes(), shape.pageSize());
    return switch (backend) {
      case DIRECT -> perLayer ? TransferStrategy.COPY : TransferStrategy.COPY_3D;
      case KERNEL -> {
        if (perLayer) yield contiguousRuns ? TransferStrategy.COPY : TransferStrategy.ZERO_COPY_KERNEL;
        if (stagedFits(hs)) yield TransferStrategy.STAGED_KERNEL;
        yield contiguousRuns ? TransferStrategy.COPY_2D : TransferStrategy.ZERO_COPY_KERNEL;
      }
    };
  }

  @Override public Transfer backup(int[] deviceSlots, HostPool host, int[] hostSlots) {
    return transfer(false, deviceSlots, host, hostSlots, strategyFor(false, host.layout()), false);
  }

  @Override public Transfer load(int[] hostSlots, HostPool host, int[] deviceSlots) {
    return transfer(true, deviceSlots, host, hostSlots, strategyFor(true, host.layout()), true);
  }

  /**
   * Starts a transfer with a chosen strategy.
   *
   * @param toDevice host → device (a load) or device → host (a backup)
   * @param perLayer issue and complete one layer at a time (an event per layer)
   */
  public Transfer transfer(boolean toDevice, int[] deviceSlots, HostPool host, int[] hostSlots,
      TransferStrategy strategy, boolean perLayer) {
    checkOpen();
    LayoutDescriptor hl = host.layout();
    if (!hl.shape().equals(shape)) {
      throw new IllegalArgumentException("host pool shape " + hl.shape() + " differs from the device pool's " + shape);
    }
    if (deviceSlots == null || hostSlots == null || deviceSlots.length != hostSlots.length) {
      throw new IllegalArgumentException("device and host slot lists must have the same length, got "
          + (deviceSlots == null ? "null" : deviceSlots.length) + " and " + (hostSlots == null ? "null" : hostSlots.length));
    }
    int[] dp = FifoPageAllocator.pagesOf(deviceSlots, shape.pageSize(), capacityTokens, "device slots");
    int[] hp = FifoPageAllocator.pagesOf(hostSlots, shape.pageSize(), hl.tokens(), "host slots");
    Strides hs = Strides.of(hl);
    MemorySegment buf = host.buffer();
    long hostBase = buf.address();
    if (buf.byteSize() < hl.totalBytes()) {
      throw new IllegalArgumentException("host buffer holds " + buf.byteSize() + " bytes, its layout needs "
          + hl.totalBytes());
    }
    long hostDeviceBase;
    try {
      hostDeviceBase = CudaNative.hostDevicePointer(hostBase);
    } catch (CudaException e) {
      throw new IllegalArgumentException("the host pool's buffer is not registered with CUDA (" + e.errorName()
          + "): give the host pool a CudaMemoryRegistrar", e);
    }
    int layers = shape.layers();
    long bytes = (long) dp.length * shape.bytesPerPage();
    Lane lane = toDevice ? load : write;
    synchronized (lane) {
      int nEvents = perLayer ? layers : 1;
      long[] events = takeEvents(nEvents);
      int[] layersAt = new int[nEvents];
      CudaTransfer t;
      try {
        CudaNative.setDevice(device);
        if (dp.length > 0) {
          if (perLayer) {
            for (int l = 0; l < layers; l++) {
              issue(toDevice, lane, strategy, dp, hp, hs, hostBase, hostDeviceBase, l, 1);
              CudaNative.eventRecord(events[l], lane.stream());
              layersAt[l] = l + 1;
            }
          } else {
            issue(toDevice, lane, strategy, dp, hp, hs, hostBase, hostDeviceBase, 0, layers);
          }
        }
        if (!perLayer || dp.length == 0) {
          for (int k = 0; k < nEvents; k++) {
            CudaNative.eventRecord(events[k], lane.stream());
            layersAt[k] = perLayer ? k + 1 : layers;
          }
        }
        t = new CudaTransfer(this, events, layersAt, layers, bytes);
        synchronized (this) {
          live.add(t);
        }
      } catch (CudaException e) {
        // Part of the work may be queued: let it drain before the pages are reused.
        try {
          CudaNative.streamSynchronize(lane.stream());
          CudaNative.streamSynchronize(lane.aux());
        } catch (CudaException ignored) {
          // the context is broken; the failure below is what the caller sees
        }
        releaseEvents(events);
        return CudaTransfer.failed(this, layers, bytes, e);
      }
      return t;
    }
  }

  private void issue(boolean toDevice, Lane lane, TransferStrategy strategy, int[] dp, int[] hp, Strides hs,
      long hostBase, long hostDeviceBase, int layer0, int nLayers) {
    int ps = shape.pageSize();
    int parts = shape.kvParts();
    long item = shape.itemBytes();
    boolean hostTokInner = hs.token() < hs.layer();
    TransferStrategy s = strategy;
    if (s == TransferStrategy.STAGED_KERNEL && (!stagedFits(hs) || nLayers != shape.layers())) {
      s = TransferStrategy.ZERO_COPY_KERNEL;
    }
    if (s == TransferStrategy.STAGED_COPY && (!stagedCopyFits(hs) || nLayers != shape.layers())) {
      s = TransferStrategy.COPY_2D;
    }
    if (s == TransferStrategy.COPY_3D) {
      CopyPlan plan = toDevice
          ? CopyPlan.plan3d(strides, hs, dp, hp, parts, layer0, nLayers, ps, item)
          : CopyPlan.plan3d(hs, strides, hp, dp, parts, layer0, nLayers, ps, item);
      if (plan != null && plan.maxPitch() <= maxPitch) {
        CudaNative.copyRuns3D(toDevice ? base : hostBase, toDevice ? hostBase : base, plan.runs3d, plan.n3d, lane.stream());
        return;
      }
      s = TransferStrategy.COPY_2D;
    }
    switch (s) {
      case COPY, COPY_2D, COPY_3D -> {
        boolean twoD = s == TransferStrategy.COPY_2D;
        if (!twoD && nLayers > 1) {
          // Whole pages as one batch per layer: one batch of every (part, layer, page) run of a
          // large transfer was slower (docs/design.md#gpu-transfers).
          for (int l = layer0; l < layer0 + nLayers; l++) issue(toDevice, lane, s, dp, hp, hs, hostBase, hostDeviceBase, l, 1);
          return;
        }
        CopyPlan plan = toDevice
            ? CopyPlan.plan(strides, hs, dp, hp, parts, layer0, nLayers, ps, item, twoD)
            : CopyPlan.plan(hs, strides, hp, dp, parts, layer0, nLayers, ps, item, twoD);
        if (twoD && plan.maxPitch() > maxPitch) {
          plan = toDevice
              ? CopyPlan.plan(strides, hs, dp, hp, parts, layer0, nLayers, ps, item, false)
              : CopyPlan.plan(hs, strides, hp, dp, parts, layer0, nLayers, ps, item, false);
        }
        if (plan.maxPitch() > maxPitch) {
          throw new IllegalArgumentException("a 2-D copy needs pitch " + plan.maxPitch() + " > the device's "
              + maxPitch + "; use --hicache-io-backend kernel");
        }
        long dstBase = toDevice ? base : hostBase;
        long srcBase = toDevice ? hostBase : base;
        CudaNative.copyRuns(dstBase, srcBase, plan.runs, plan.n, true, lane.stream());
        CudaNative.copyRuns2D(dstBase, srcBase, plan.runs2d, plan.n2d, lane.stream());
      }
      case ZERO_COPY_KERNEL -> {
        if (toDevice) {
          CudaNative.kernelCopy(base, strides.toArray(), hostDeviceBase, hs.toArray(), dp, hp, dp.length, parts,
              layer0, nLayers, ps, item, hostTokInner, lane.stream());
        } else {
          CudaNative.kernelCopy(hostDeviceBase, hs.toArray(), base, strides.toArray(), hp, dp, dp.length, parts,
              layer0, nLayers, ps, item, hostTokInner, lane.stream());
        }
      }
      case STAGED_KERNEL, STAGED_COPY -> {
        long[] scratch = takeEvents(2 * STAGING_SLOTS + 1);
        try {
          CudaNative.stagedCopy(toDevice, base, strides.toArray(), hostBase, hs.toArray(), dp, hp, dp.length, parts,
              shape.layers(), ps, item, toDevice ? loadStaging : writeStaging, stagingBytes, STAGING_SLOTS,
              lane.stream(), lane.aux(), scratch, s == TransferStrategy.STAGED_COPY);
        } finally {
          // Waits already queued keep the records they saw; the events can serve the next call.
          releaseEvents(scratch);
        }
      }
    }
  }

  /** Whether the staged path applies: the host holds each (part, page) block of all layers contiguously. */
  private boolean stagedFits(Strides hs) {
    long item = shape.itemBytes();
    int ps = shape.pageSize();
    int layers = shape.layers();
    long block = layers * ps * item;
    boolean tiles = (hs.token() == item && hs.layer() == ps * item) || (hs.layer() == item && hs.token() == layers * item)
        || (layers == 1 && hs.token() == item) || (ps == 1 && hs.layer() == item);
    return tiles && stagingBytes / STAGING_SLOTS >= block * shape.kvParts();
  }

  /**
   * Whether the copy-engine staged path applies: the staged path's conditions, and the host holds
   * each (part, layer, page) as one run laid out layer after layer (page_first_direct), so the
   * relayout in device memory is one 2-D copy per (part, page).
   */
  private boolean stagedCopyFits(Strides hs) {
    long item = shape.itemBytes();
    int ps = shape.pageSize();
    return stagedFits(hs) && hs.token() == item && hs.layer() == ps * item && strides.layer() <= maxPitch;
  }

  /** Copies the whole device buffer to {@code dst} (synchronously); for tests and benchmarks. */
  /** The stream a load ({@code toDevice}) or a backup completes on: for timing a transfer from the tests' benchmark mains. */
  long completionStream(boolean toDevice) {
    return (toDevice ? load : write).stream();
  }

  void download(MemorySegment dst) {
    checkOpen();
    if (dst.byteSize() < layout.totalBytes()) throw new IllegalArgumentException("destination too small");
    CudaNative.setDevice(device);
    CudaNative.streamSynchronize(write.stream());
    CudaNative.streamSynchronize(load.stream());
    CudaNative.memcpy(dst.address(), base, layout.totalBytes());
  }

  /** Copies {@code src} over the whole device buffer (synchronously); for tests and benchmarks. */
  void upload(MemorySegment src) {
    checkOpen();
    if (src.byteSize() < layout.totalBytes()) throw new IllegalArgumentException("source too small");
    CudaNative.setDevice(device);
    CudaNative.streamSynchronize(write.stream());
    CudaNative.streamSynchronize(load.stream());
    CudaNative.memcpy(base, src.address(), layout.totalBytes());
  }

  /** Device address of the KV buffer (valid until close). */
  long deviceAddress() {
    checkOpen();
    return base;
  }

  private synchronized long[] takeEvents(int n) {
    long[] e = new long[n];
    for (int i = 0; i < n; i++) {
      Long ev = freeEvents.pollFirst();
      if (ev == null) {
        ev = CudaNative.eventCreate();
        allEvents.add(ev);
      }
      e[i] = ev;
    }
    return e;
  }

  private synchronized void releaseEvents(long[] events) {
    if (closed) return;
    for (long e : events) freeEvents.addLast(e);
  }

  synchronized void releaseTransfer(CudaTransfer t, long[] events) {
    live.remove(t);
    releaseEvents(events);
  }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("the CUDA device pool is closed");
  }

  @Override public void close() {
    List<CudaTransfer> pending;
    synchronized (this) {
      if (closed) return;
      pending = new ArrayList<>(live);
    }
    CudaNative.setDevice(device);
    for (Lane lane : new Lane[] {write, load}) {
      synchronized (lane) {
        CudaNative.streamSynchronize(lane.stream());
        CudaNative.streamSynchronize(lane.aux());
      }
    }
    for (CudaTransfer t : pending) t.settle();
    synchronized (this) {
      closed = true;
      for (long e : allEvents) CudaNative.eventDestroy(e);
      allEvents.clear();
      freeEvents.clear();
      for (Lane lane : new Lane[] {write, load}) {
        CudaNative.streamDestroy(lane.stream());
        CudaNative.streamDestroy(lane.aux());
      }
      CudaNative.free(base);
      if (writeStaging != 0) CudaNative.free(writeStaging);
      if (loadStaging != 0) CudaNative.free(loadStaging);
      base = writeStaging = loadStaging = 0;
      outstanding = 0;
    }
  }

  @Override public String toString() {
    return "CudaDevicePool[" + layout + ", " + backend.flagName() + ", " + outstanding + " bytes]";
  }
}
