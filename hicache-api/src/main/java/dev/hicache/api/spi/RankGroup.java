package dev.hicache.api.spi;

/**
 * The tensor-parallel ranks of one engine instance, for consensus (docs/behaviour.md#tp-consensus):
 * every rank must take identical tree decisions, agreed by all-reduce MIN/MAX at fixed points.
 *
 * <p>Contract that prevents SGLang's TP deadlocks (a rank that skipped a collective hung the
 * others): every rank calls every collective, in the same order, with arrays of the same length,
 * whatever its local state.
 */
public interface RankGroup {
  int rank();

  int size();

  /** Element-wise minimum over all ranks, in place. */
  void allReduceMin(long[] values);

  /** Element-wise maximum over all ranks, in place. */
  void allReduceMax(long[] values);

  /** A group of one rank: collectives return their input. */
  static RankGroup single() {
    return new RankGroup() {
      @Override public int rank() { return 0; }
      @Override public int size() { return 1; }
      @Override public void allReduceMin(long[] values) {}
      @Override public void allReduceMax(long[] values) {}
    };
  }
}
