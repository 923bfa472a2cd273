package dev.hicache.core.sim;

/**
 * How long a copy takes in virtual time: the deterministic shell asks it for every command. Each
 * direction is one serial link (SGLang's write stream and load stream), so commands queue behind
 * each other. A {@link Shared} cost model instead puts each direction's command, once it reaches
 * the head of its stream, on a {@link SharedLink} that other instances' streams use too.
 */
public interface CostModel {
  long deviceToHostNanos(long bytes);

  long hostToDeviceNanos(long bytes);

  /** latency + bytes / bandwidth in each direction. */
  static CostModel link(double deviceToHostBytesPerSecond, double hostToDeviceBytesPerSecond, long latencyNanos) {
    return link(deviceToHostBytesPerSecond, hostToDeviceBytesPerSecond, latencyNanos, latencyNanos);
  }

  /**
   * latency + bytes / bandwidth, each direction with its own latency: a load issues a copy per
   * layer and a backup one whole-page copy, so their fixed costs differ (docs/calibration.md#copies).
   */
  static CostModel link(double deviceToHostBytesPerSecond, double hostToDeviceBytesPerSecond,
      long deviceToHostLatencyNanos, long hostToDeviceLatencyNanos) {
    if (!(deviceToHostBytesPerSecond > 0) || !(hostToDeviceBytesPerSecond > 0) || deviceToHostLatencyNanos < 0
        || hostToDeviceLatencyNanos < 0) {
      throw new IllegalArgumentException("bandwidths must be > 0 and latencies >= 0");
    }
    return new CostModel() {
      @Override public long deviceToHostNanos(long bytes) {
        return deviceToHostLatencyNanos + (long) Math.ceil(bytes * 1e9 / deviceToHostBytesPerSecond);
      }

      @Override public long hostToDeviceNanos(long bytes) {
        return hostToDeviceLatencyNanos + (long) Math.ceil(bytes * 1e9 / hostToDeviceBytesPerSecond);
      }
    };
  }

  /** A PCIe Gen5 x16 link as HiCache sees it: about 50 GB/s each way, 10 µs per command. */
  static CostModel pcieGen5() {
    return link(50e9, 50e9, 10_000);
  }

  /** Every copy completes after exactly {@code nanos} (tests). */
  static CostModel fixed(long nanos) {
    return new CostModel() {
      @Override public long deviceToHostNanos(long bytes) { return nanos; }
      @Override public long hostToDeviceNanos(long bytes) { return nanos; }
    };
  }

  /**
   * Each direction's stream of this instance stays serial (a CUDA stream), but the command at its
   * head moves its bytes on a link shared with other instances (a box's host side of PCIe): after
   * its direction's latency it gets its share of the link, re-timed whenever a transfer joins or
   * leaves. The link's per-transfer cap is the GPU's own PCIe bandwidth. Everyone sharing a link
   * must run in one of the simulator's {@code VirtualTimeCluster}s.
   */
  record Shared(SharedLink deviceToHost, SharedLink hostToDevice, long deviceToHostLatencyNanos,
      long hostToDeviceLatencyNanos) implements CostModel {
    public Shared {
      if (deviceToHost == null || hostToDevice == null || deviceToHostLatencyNanos < 0 || hostToDeviceLatencyNanos < 0) {
        throw new IllegalArgumentException("both links are required and latencies must be >= 0");
      }
    }

    /** The time alone on the link. */
    @Override public long deviceToHostNanos(long bytes) {
      return deviceToHostLatencyNanos + SharedLink.nanosFor(bytes, deviceToHost.rate(1));
    }

    /** The time alone on the link. */
    @Override public long hostToDeviceNanos(long bytes) {
      return hostToDeviceLatencyNanos + SharedLink.nanosFor(bytes, hostToDevice.rate(1));
    }
  }

  /** Copies on shared links (see {@link Shared}), one latency for both directions. */
  static CostModel shared(SharedLink deviceToHost, SharedLink hostToDevice, long latencyNanos) {
    return new Shared(deviceToHost, hostToDevice, latencyNanos, latencyNanos);
  }

  /** Copies on shared links (see {@link Shared}), each direction with its own latency. */
  static CostModel shared(SharedLink deviceToHost, SharedLink hostToDevice, long deviceToHostLatencyNanos,
      long hostToDeviceLatencyNanos) {
    return new Shared(deviceToHost, hostToDevice, deviceToHostLatencyNanos, hostToDeviceLatencyNanos);
  }
}
