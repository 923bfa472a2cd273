package dev.hicache.simulator.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The machine instances run on: its GPU count and, per GPU, HBM, the share SGLang gives to weights plus KV
 * ({@code --mem-fraction-static}), dense BF16 throughput and the fraction of it prefill reaches,
 * the host–device link, and the host memory the host tier may use; for the whole box, {@code
 * hostLinkGBps}: what the host side of PCIe (switch uplinks, root complex, DRAM) moves per
 * direction for all GPUs together ({@code --pcie-link shared}).
 */
public record HardwareProfile(String name, int gpus, double hbmGB, double memFractionStatic, double tflops, double mfu,
    double pcieGBps, double pcieLatencyUs, double hostGBPerGpu, double l3ReadGBps, double l3WriteGBps,
    double l3LatencyUs, double hostLinkGBps, PrefillCalibration prefill, CopyCalibration copies) {

  /**
   * L1 ↔ L2 copy times fitted to the copies a real engine made (docs/calibration.md#copies): a
   * backup (device → host) takes {@code d2hLatencyUs} and then moves its bytes at {@code d2hGBps},
   * a load (host → device) {@code h2dLatencyUs} and {@code h2dGBps}: a load issues a copy per
   * layer, a backup one whole-page copy, so their fixed costs differ. {@link #UNCALIBRATED}: both
   * directions at the profile's {@code pcieGBps} after its {@code pcieLatencyUs}.
   */
  public record CopyCalibration(double d2hGBps, double h2dGBps, double d2hLatencyUs, double h2dLatencyUs) {
    /** Both directions at the profile's {@code pcieGBps} and {@code pcieLatencyUs}. */
    public static final CopyCalibration UNCALIBRATED = new CopyCalibration(Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    public CopyCalibration {
      boolean none = Double.isNaN(d2hGBps) && Double.isNaN(h2dGBps) && Double.isNaN(d2hLatencyUs)
          && Double.isNaN(h2dLatencyUs);
      if (!none && !(d2hGBps > 0 && h2dGBps > 0 && Double.isFinite(d2hGBps + h2dGBps))) {
        throw new IllegalArgumentException("copy calibration: bandwidths must be finite and > 0, got " + d2hGBps
            + " and " + h2dGBps);
      }
      if (!none && !(d2hLatencyUs >= 0 && h2dLatencyUs >= 0 && Double.isFinite(d2hLatencyUs + h2dLatencyUs))) {
        throw new IllegalArgumentException("copy calibration: latencies must be finite and >= 0, got " + d2hLatencyUs
            + " and " + h2dLatencyUs);
      }
    }

    public boolean calibrated() {
      return !Double.isNaN(d2hGBps);
    }

    /** The same latencies with other rates (a --pcie-gbps of one's own); uncalibrated stays uncalibrated. */
    public CopyCalibration withRates(double d2h, double h2d) {
      return calibrated() ? new CopyCalibration(d2h, h2d, d2hLatencyUs, h2dLatencyUs) : this;
    }
  }

  /**
   * What a prefill costs beyond the dense FLOP at {@code mfu}, fitted to measured prefills
   * (docs/calibration.md): a step never takes less than {@code floorUsPerLayer × layers} (an eager
   * forward pass is bound by launching its kernels when it has few tokens), otherwise {@code
   * overheadUsPerLayer × layers} plus the linear FLOP at {@code mfu} plus attention's (query, key)
   * products at {@code attentionMfu}. {@link #UNCALIBRATED} is the plain FLOP model (no floor, no
   * overhead, attention at {@code mfu}).
   */
  public record PrefillCalibration(double floorUsPerLayer, double overheadUsPerLayer, double attentionMfu) {
    /** No floor, no overhead, attention at the profile's {@code mfu}. */
    public static final PrefillCalibration UNCALIBRATED = new PrefillCalibration(0, 0, Double.NaN);

    public PrefillCalibration {
      if (!(floorUsPerLayer >= 0) || !(overheadUsPerLayer >= 0) || Double.isInfinite(floorUsPerLayer)
          || Double.isInfinite(overheadUsPerLayer)) {
        throw new IllegalArgumentException("prefill floor and overhead must be finite and >= 0");
      }
      if (!Double.isNaN(attentionMfu) && !(attentionMfu > 0 && attentionMfu <= 1)) {
        throw new IllegalArgumentException("attention MFU must be in (0, 1], got " + attentionMfu);
      }
    }
  }

  public HardwareProfile(String name, int gpus, double hbmGB, double memFractionStatic, double tflops, double mfu,
      double pcieGBps, double pcieLatencyUs, double hostGBPerGpu, double l3ReadGBps, double l3WriteGBps,
      double l3LatencyUs, double hostLinkGBps) {
    this(name, gpus, hbmGB, memFractionStatic, tflops, mfu, pcieGBps, pcieLatencyUs, hostGBPerGpu, l3ReadGBps,
        l3WriteGBps, l3LatencyUs, hostLinkGBps, PrefillCalibration.UNCALIBRATED);
  }

  public HardwareProfile {
    if (prefill == null) throw new IllegalArgumentException("prefill calibration is required (UNCALIBRATED for none)");
    if (copies == null) throw new IllegalArgumentException("copy calibration is required (UNCALIBRATED for none)");
  }

  /** A profile whose copies run at the nominal {@code pcieGBps} ({@link CopyCalibration#UNCALIBRATED}). */
  public HardwareProfile(String name, int gpus, double hbmGB, double memFractionStatic, double tflops, double mfu,
      double pcieGBps, double pcieLatencyUs, double hostGBPerGpu, double l3ReadGBps, double l3WriteGBps,
      double l3LatencyUs, double hostLinkGBps, PrefillCalibration prefill) {
    this(name, gpus, hbmGB, memFractionStatic, tflops, mfu, pcieGBps, pcieLatencyUs, hostGBPerGpu, l3ReadGBps,
        l3WriteGBps, l3LatencyUs, hostLinkGBps, prefill, CopyCalibration.UNCALIBRATED);
  }

  /** A box whose host side never limits its GPUs' PCIe links (host link = GPUs x PCIe). */
  public HardwareProfile(String name, int gpus, double hbmGB, double memFractionStatic, double tflops, double mfu,
      double pcieGBps, double pcieLatencyUs, double hostGBPerGpu, double l3ReadGBps, double l3WriteGBps,
      double l3LatencyUs) {
    this(name, gpus, hbmGB, memFractionStatic, tflops, mfu, pcieGBps, pcieLatencyUs, hostGBPerGpu, l3ReadGBps,
        l3WriteGBps, l3LatencyUs, gpus * pcieGBps);
  }

  // The H100 fit of tools/calibrate/fit_prefill.py (docs/calibration.md, "Fit").
  static final double H100_FLOOR_US_PER_LAYER = 552.7;
  static final double H100_OVERHEAD_US_PER_LAYER = 273.5;
  static final double H100_MFU = 0.6503;
  static final double H100_ATTENTION_MFU = 0.3089;

  // The H100 copy fit (docs/calibration.md#copies, run 10's first replay; its other two replays are the held-out
  // check): backups (device -> host, whole pages through the staging ring) and loads (host -> device, layer by
  // layer, the zero-copy kernel) of the kernel backend on a page_first host pool, 1 MiB pages, each direction
  // with its own latency (mostly the host's time to issue the copy: one staged copy, or a kernel per layer).
  static final double H100_D2H_GBPS = 53.53;
  static final double H100_H2D_GBPS = 51.49;
  static final double H100_D2H_LATENCY_US = 151;
  static final double H100_H2D_LATENCY_US = 361;
  // The embedded L3 store (persistent mode, its slab on tmpfs and faulted in first) on the H100's host, same run.
  static final double H100_L3_READ_GBPS = 3.45;
  static final double H100_L3_WRITE_GBPS = 2.82;
  static final double H100_L3_LATENCY_US = 25;

  public static final Map<String, HardwareProfile> PRESETS = presets();

  private static Map<String, HardwareProfile> presets() {
    Map<String, HardwareProfile> m = new LinkedHashMap<>();
    // H100 SXM 80 GB: 989 dense BF16 TFLOPS; PCIe Gen5 x16 ≈ 50 GB/s per direction as HiCache sees
    // it; an 8-GPU box with 2 TiB of DRAM gives each GPU's host tier up to ~200 GB. L3 (Mooncake
    // over RDMA): one 400 Gb/s NIC per GPU ~ 40 GB/s read, half that for writes, 100 us per call --
    // an assumption, not a measurement (the FAST'25 paper reports 87 GB/s over 4 x 200 Gb/s).
    // Host link (--pcie-link shared), an assumption, not a measurement: an HGX-style board hangs two
    // GPUs on each of four PCIe switches, each switch with one x16 uplink to a CPU, so the host side
    // moves about 4 x 50 GB/s = 200 GB/s per direction for the eight GPUs (Gen4 boxes: 4 x 25); two
    // sockets of DDR5 (~600 GB/s) do not limit that.
    // Prefill (docs/calibration.md): Llama-3-8B-shaped prefills measured on an H100 with PyTorch
    // (eager, SDPA) over new 128..16k x cached 0..64k tokens, fitted: every grid point within 7 %.
    // The H200 has the H100's compute; its profile shares the fit.
    PrefillCalibration h100 = new PrefillCalibration(H100_FLOOR_US_PER_LAYER, H100_OVERHEAD_US_PER_LAYER,
        H100_ATTENTION_MFU);
    // Copies (docs/calibration.md#copies): the real engine on an H100 (CudaDevicePool, a HugeTLB HostKvPool pinned
    // by CUDA, the persistent embedded L3), a slice of the conversation trace, every copy timed, fitted per
    // direction; L3 is the embedded store (the simulator's default L3), not Mooncake over RDMA: give
    // --l3-read-gbps, --l3-write-gbps and --l3-latency-us for such a pool.
    CopyCalibration h100Copies = new CopyCalibration(H100_D2H_GBPS, H100_H2D_GBPS, H100_D2H_LATENCY_US,
        H100_H2D_LATENCY_US);
    m.put("h100-box", new HardwareProfile("h100-box", 8, 80, 0.88, 989, H100_MFU, 50, H100_D2H_LATENCY_US, 200,
        H100_L3_READ_GBPS, H100_L3_WRITE_GBPS, H100_L3_LATENCY_US, 200, h100, h100Copies));
    m.put("h200-box", new HardwareProfile("h200-box", 8, 141, 0.88, 989, H100_MFU, 50, 10, 200, 40, 20, 100, 200,
        h100));
    m.put("a100-box", new HardwareProfile("a100-box", 8, 80, 0.88, 312, 0.45, 25, 10, 120, 20, 10, 100, 100));
    return m;
  }

  public static HardwareProfile preset(String name) {
    HardwareProfile p = PRESETS.get(name);
    if (p == null) {
      throw new IllegalArgumentException("unknown hardware '" + name + "' (presets: "
          + String.join(", ", PRESETS.keySet()) + ")");
    }
    return p;
  }

  /**
   * The copy time of one L1 ↔ L2 command on this GPU's own PCIe link: {@link #d2hLatencyUs()} or
   * {@link #h2dLatencyUs()} plus its bytes over {@link #d2hGBps()} or {@link #h2dGBps()}
   * (docs/calibration.md#copies).
   */
  public dev.hicache.core.sim.CostModel pcieCostModel() {
    return dev.hicache.core.sim.CostModel.link(d2hGBps() * 1e9, h2dGBps() * 1e9, Math.round(d2hLatencyUs() * 1000),
        Math.round(h2dLatencyUs() * 1000));
  }

  /** The fixed cost of a backup (device → host): the calibrated one, else {@code pcieLatencyUs}. */
  public double d2hLatencyUs() {
    return copies.calibrated() ? copies.d2hLatencyUs() : pcieLatencyUs;
  }

  /** The fixed cost of a load (host → device): the calibrated one, else {@code pcieLatencyUs}. */
  public double h2dLatencyUs() {
    return copies.calibrated() ? copies.h2dLatencyUs() : pcieLatencyUs;
  }

  /** What a backup (device → host) moves per second once it runs: the calibrated rate, else {@code pcieGBps}. */
  public double d2hGBps() {
    return copies.calibrated() ? copies.d2hGBps() : pcieGBps;
  }

  /** What a load (host → device) moves per second once it runs: the calibrated rate, else {@code pcieGBps}. */
  public double h2dGBps() {
    return copies.calibrated() ? copies.h2dGBps() : pcieGBps;
  }

  /**
   * The time of one L3 command on this box's own L3 link: {@code l3LatencyUs} per call (per 128 keys
   * for an existence query) plus the KV bytes the pages stand for ({@code pages × pageBytes}) over
   * {@code l3ReadGBps} or {@code l3WriteGBps}.
   */
  public dev.hicache.core.sim.L3CostModel l3CostModel(long pageBytes) {
    dev.hicache.core.sim.L3CostModel link = dev.hicache.core.sim.L3CostModel.link(l3ReadGBps * 1e9, l3WriteGBps * 1e9,
        Math.round(l3LatencyUs * 1000));
    return new dev.hicache.core.sim.L3CostModel() {
      @Override public long queryNanos(int keys) { return link.queryNanos(keys); }
      @Override public long readNanos(int pages, long bytes) { return link.readNanos(pages, pages * pageBytes); }
      @Override public long writeNanos(int pages, long bytes) { return link.writeNanos(pages, pages * pageBytes); }
    };
  }

  /** Device KV capacity in tokens for the model at this TP: what HBM leaves after the weights. */
  public long deviceKvTokens(ModelProfile model, int tp) {
    double kvBytes = hbmGB * 1e9 * memFractionStatic - model.weightBytesB() * 1e9 / tp;
    if (kvBytes <= 0) {
      throw new IllegalArgumentException(String.format(
          "model %s does not fit %s at TP %d: %.0f GB of weights per GPU, %.0f GB usable", model.name(), name,
          tp, model.weightBytesB() / tp, hbmGB * memFractionStatic));
    }
    return (long) (kvBytes / model.bytesPerTokenPerGpu(tp));
  }

  /** Nanoseconds of prefill compute per uncached token on a TP group, attention's products aside. */
  public long prefillNanosPerToken(ModelProfile model, int tp) {
    return Math.round(model.prefillFlopPerToken() / (tp * tflops * 1e12 * mfu) * 1e9);
  }

  /**
   * Nanoseconds of attention per (query, key) pair on a TP group (the heads split over the ranks):
   * what makes prefill time grow with the cached tokens the new ones attend to.
   */
  public double attentionNanosPerTokenPair(ModelProfile model, int tp) {
    double amfu = Double.isNaN(prefill.attentionMfu()) ? mfu : prefill.attentionMfu();
    return model.attentionFlopPerTokenPair() / (tp * tflops * 1e12 * amfu) * 1e9;
  }

  /** The least time a prefill step takes on this hardware (every rank runs every layer). */
  public long prefillFloorNanos(ModelProfile model) {
    return Math.round(prefill.floorUsPerLayer() * 1e3 * model.layers());
  }

  /** The fixed part of a prefill step's time above the floor. */
  public long prefillOverheadNanos(ModelProfile model) {
    return Math.round(prefill.overheadUsPerLayer() * 1e3 * model.layers());
  }

  /**
   * Prefill time of {@code newTokens} after {@code cachedTokens} cached ones, nanoseconds: {@code
   * max(floor, overhead + linear + attention)}; 0 when there is nothing to compute.
   */
  public long prefillNanos(ModelProfile model, int tp, long newTokens, long cachedTokens) {
    return dev.hicache.simulator.virtualtime.TieredSimulation.prefillNanos(prefillFloorNanos(model),
        prefillOverheadNanos(model), prefillNanosPerToken(model, tp), attentionNanosPerTokenPair(model, tp), newTokens,
        cachedTokens);
  }
}
