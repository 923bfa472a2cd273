package dev.hicache.simulator.engine;

import dev.hicache.core.prefetch.L3CostModel;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;

/**
 * The L3 network link as one resource shared by every instance (a box's NICs to the Mooncake
 * pool): a read or write that starts while k others of its direction are in flight gets 1/(k+1) of
 * the bandwidth for its whole duration. That is processor sharing frozen at the start of each
 * transfer: a transfer is not sped up when others finish early, nor slowed when others join
 * later (re-timing commands already in flight would need the engine's L3 port to revise due
 * times, which it does not). Queries pay only the latency.
 *
 * <p>Each instance gets its own {@link L3CostModel} view ({@link #forInstance}) that reads that
 * instance's virtual clock; "in flight" is judged at the caller's time, and instances' clocks are
 * aligned before each arrival (EngineReplay). Not thread-safe (one replay thread).
 */
public final class SharedL3Link {
  private final double readBytesPerSecond;
  private final double writeBytesPerSecond;
  private final long latencyNanos;
  private final long pageBytes;
  private final PriorityQueue<Long> readsEndAt = new PriorityQueue<>();
  private final PriorityQueue<Long> writesEndAt = new PriorityQueue<>();
  private long sharedTransfers;

  /**
   * @param pageBytes KV bytes a page stands for: the engine runs metadata-only and hands the cost
   *     model the bytes of page stubs, so time is charged for pages x pageBytes
   */
  public SharedL3Link(double readBytesPerSecond, double writeBytesPerSecond, long latencyNanos, long pageBytes) {
    if (!(readBytesPerSecond > 0) || !(writeBytesPerSecond > 0) || latencyNanos < 0 || pageBytes < 1) {
      throw new IllegalArgumentException("L3 bandwidths must be > 0, latency >= 0 and page bytes >= 1");
    }
    this.pageBytes = pageBytes;
    this.readBytesPerSecond = readBytesPerSecond;
    this.writeBytesPerSecond = writeBytesPerSecond;
    this.latencyNanos = latencyNanos;
  }

  /** The cost model of one instance whose virtual time {@code clock} reads. */
  public L3CostModel forInstance(LongSupplier clock) {
    return new L3CostModel() {
      @Override public long queryNanos(int keys) {
        return latencyNanos * Math.max(1, (keys + 127) / 128);
      }

      @Override public long readNanos(int pages, long bytes) {
        return share(readsEndAt, clock.getAsLong(), pages * pageBytes, readBytesPerSecond);
      }

      @Override public long writeNanos(int pages, long bytes) {
        return share(writesEndAt, clock.getAsLong(), pages * pageBytes, writeBytesPerSecond);
      }
    };
  }

  private long share(PriorityQueue<Long> endAt, long now, long bytes, double bytesPerSecond) {
    while (!endAt.isEmpty() && endAt.peek() <= now) endAt.poll();
    int sharing = endAt.size() + 1;
    if (sharing > 1) sharedTransfers++;
    long d = latencyNanos + (long) Math.ceil(bytes * 1e9 * sharing / bytesPerSecond);
    endAt.add(now + d);
    return d;
  }

  /** Reads and writes that started while another of their direction was in flight. */
  public long sharedTransfers() {
    return sharedTransfers;
  }
}
