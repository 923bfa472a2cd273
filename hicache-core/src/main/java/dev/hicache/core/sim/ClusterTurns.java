package dev.hicache.core.sim;

/**
 * How a deterministic shell takes turns with the other members of a virtual-time cluster (the
 * simulator's {@code VirtualTimeCluster}), so that instances sharing a {@link SharedLink} act in
 * one global virtual-time order. Set on a shell with {@code DeterministicShell.joinCluster}.
 */
public interface ClusterTurns {
  /** {@link #await} for "my next event, whatever its time". */
  long NEXT_EVENT = Long.MIN_VALUE;

  /** True when the calling thread is running a job of this member (its waits must take turns). */
  boolean gated();

  /**
   * Returns once this member may act at {@code min(next event, until)}: every other member's
   * earlier events are done. {@code until = }{@link #NEXT_EVENT}: at its next event, whenever
   * that is (its own clock if it has none).
   */
  void await(long until);
}
