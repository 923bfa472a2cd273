package dev.hicache.core.engine;

/**
 * How long a copy takes in virtual time: the deterministic shell asks it for every command. Each
 * direction is one serial link (SGLang's write stream and load stream), so commands queue behind
 * each other.
 */
public interface CostModel {
  long deviceToHostNanos(long bytes);

  long hostToDeviceNanos(long bytes);

  /** latency + bytes / bandwidth in each direction. */
  static CostModel link(double deviceToHostBytesPerSecond, double hostToDeviceBytesPerSecond, long latencyNanos) {
    if (!(deviceToHostBytesPerSecond > 0) || !(hostToDeviceBytesPerSecond > 0) || latencyNanos < 0) {
      throw new IllegalArgumentException("bandwidths must be > 0 and latency >= 0");
    }
    return new CostModel() {
      @Override public long deviceToHostNanos(long bytes) {
        return latencyNanos + (long) Math.ceil(bytes * 1e9 / deviceToHostBytesPerSecond);
      }

      @Override public long hostToDeviceNanos(long bytes) {
        return latencyNanos + (long) Math.ceil(bytes * 1e9 / hostToDeviceBytesPerSecond);
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
}
