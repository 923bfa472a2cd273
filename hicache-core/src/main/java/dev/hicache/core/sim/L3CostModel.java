package dev.hicache.core.sim;

/**
 * How long an L3 command takes in virtual time ({@link VirtualTimeL3Port}). Each lane (queries,
 * reads, writes) is one serial link, as SGLang's storage threads are.
 */
public interface L3CostModel {
  /** One existence query over {@code keys} keys (chunks of 128 included). */
  long queryNanos(int keys);

  long readNanos(int pages, long bytes);

  long writeNanos(int pages, long bytes);

  /** {@code latency} per call (per 128-key chunk for queries) plus bytes over bandwidth. */
  static L3CostModel link(double readBytesPerSecond, double writeBytesPerSecond, long latencyNanos) {
    if (!(readBytesPerSecond > 0) || !(writeBytesPerSecond > 0) || latencyNanos < 0) {
      throw new IllegalArgumentException("L3 bandwidths must be > 0 and latency >= 0");
    }
    return new L3CostModel() {
      @Override public long queryNanos(int keys) {
        return latencyNanos * Math.max(1, (keys + 127) / 128);
      }

      @Override public long readNanos(int pages, long bytes) {
        return latencyNanos + (long) Math.ceil(bytes * 1e9 / readBytesPerSecond);
      }

      @Override public long writeNanos(int pages, long bytes) {
        return latencyNanos + (long) Math.ceil(bytes * 1e9 / writeBytesPerSecond);
      }
    };
  }

  /**
   * Mooncake Store over one RDMA NIC as HiCache sees it (illustrative defaults, not a measurement):
   * about 20 GB/s reads, 10 GB/s writes, 100 µs per call. Numbers for a real deployment belong in
   * the simulator's configuration.
   */
  static L3CostModel mooncakeRdma() {
    return link(20e9, 10e9, 100_000);
  }

  /** Every command takes exactly {@code nanos} (tests). */
  static L3CostModel fixed(long nanos) {
    return new L3CostModel() {
      @Override public long queryNanos(int keys) { return nanos; }
      @Override public long readNanos(int pages, long bytes) { return nanos; }
      @Override public long writeNanos(int pages, long bytes) { return nanos; }
    };
  }

  /**
   * Reads and writes share links with other instances (a box's NIC to the L3 pool): the command at
   * the head of the read (write) lane waits {@code latencyNanos}, then moves {@code pages ×
   * pageBytes} on {@code read} ({@code write}) with its processor share, re-timed whenever a
   * transfer joins or leaves. {@code read} and {@code write} may be the same link (one NIC for
   * both directions). Queries pay the latency per 128-key chunk and use no bandwidth. The ports
   * sharing a link must run in one of the simulator's {@code VirtualTimeCluster}s.
   *
   * @param pageBytes the KV bytes a page stands for (the simulator moves metadata-only stubs)
   */
  record Shared(dev.hicache.core.sim.SharedLink read, dev.hicache.core.sim.SharedLink write, long latencyNanos,
                long pageBytes) implements L3CostModel {
    public Shared {
      if (read == null || write == null || latencyNanos < 0 || pageBytes < 1) {
        throw new IllegalArgumentException("both links are required, latency must be >= 0 and page bytes >= 1");
      }
    }

    @Override public long queryNanos(int keys) {
      return latencyNanos * Math.max(1, (keys + 127) / 128);
    }

    /** The time alone on the link. */
    @Override public long readNanos(int pages, long bytes) {
      return latencyNanos + (long) Math.ceil(pages * pageBytes * 1e9 / read.perTransferBytesPerSecond());
    }

    /** The time alone on the link. */
    @Override public long writeNanos(int pages, long bytes) {
      return latencyNanos + (long) Math.ceil(pages * pageBytes * 1e9 / write.perTransferBytesPerSecond());
    }
  }
}
