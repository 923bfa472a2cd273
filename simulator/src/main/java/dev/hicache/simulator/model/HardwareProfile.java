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
    double l3LatencyUs, double hostLinkGBps) {

  /** A box whose host side never limits its GPUs' PCIe links (host link = GPUs x PCIe). */
  public HardwareProfile(String name, int gpus, double hbmGB, double memFractionStatic, double tflops, double mfu,
      double pcieGBps, double pcieLatencyUs, double hostGBPerGpu, double l3ReadGBps, double l3WriteGBps,
      double l3LatencyUs) {
    this(name, gpus, hbmGB, memFractionStatic, tflops, mfu, pcieGBps, pcieLatencyUs, hostGBPerGpu, l3ReadGBps,
        l3WriteGBps, l3LatencyUs, gpus * pcieGBps);
  }

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
    m.put("h100-box", new HardwareProfile("h100-box", 8, 80, 0.88, 989, 0.45, 50, 10, 200, 40, 20, 100, 200));
    m.put("h200-box", new HardwareProfile("h200-box", 8, 141, 0.88, 989, 0.45, 50, 10, 200, 40, 20, 100, 200));
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
    return model.attentionFlopPerTokenPair() / (tp * tflops * 1e12 * mfu) * 1e9;
  }

  /** Prefill time of {@code newTokens} after {@code cachedTokens} cached ones, nanoseconds. */
  public long prefillNanos(ModelProfile model, int tp, long newTokens, long cachedTokens) {
    return newTokens * prefillNanosPerToken(model, tp)
        + Math.round(attentionNanosPerTokenPair(model, tp) * ModelProfile.attentionPairs(newTokens, cachedTokens));
  }
}
