package dev.hicache.core.tp;

import dev.hicache.api.spi.RankGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Step-synchronous TP ranks for the deterministic shell: all ranks run in one thread, so a
 * collective cannot block. Each consensus tick is split into gather (every rank packs its vector),
 * reduce (here, element-wise MIN — MAX entries travel negated) and apply (every rank applies the
 * same result), which is exactly what one vector all-reduce does across real ranks.
 *
 * <p>The members' own {@code allReduce*} methods refuse: in a step-synchronous group a collective
 * issued from inside one rank's step would have no partner, which is the deadlock this design
 * removes.
 */
public final class StepRankGroup {
  private final int size;
  private long rounds;

  public StepRankGroup(int size) {
    if (size < 1) throw new IllegalArgumentException("a rank group needs >= 1 rank, got " + size);
    this.size = size;
  }

  public int size() { return size; }

  public long rounds() { return rounds; }

  /** The member for {@code rank}: rank and size only; collectives go through {@link #reduceMin}. */
  public RankGroup member(int rank) {
    if (rank < 0 || rank >= size) throw new IllegalArgumentException("rank " + rank + " outside 0.." + (size - 1));
    return new RankGroup() {
      @Override public int rank() { return rank; }
      @Override public int size() { return size; }
      @Override public void allReduceMin(long[] values) { refuse(); }
      @Override public void allReduceMax(long[] values) { refuse(); }

      private void refuse() {
        throw new IllegalStateException("rank " + rank + " of a step-synchronous group issued a collective alone; "
            + "reduce through StepRankGroup.reduceMin (gather on every rank, then apply on every rank)");
      }
    };
  }

  /** Element-wise MIN of one vector per rank (all of the same length), in rank order. */
  public long[] reduceMin(List<long[]> perRank) {
    if (perRank.size() != size) throw new IllegalArgumentException(perRank.size() + " vectors for " + size + " ranks");
    long[] out = perRank.getFirst().clone();
    for (int r = 1; r < size; r++) {
      long[] v = perRank.get(r);
      if (v.length != out.length) {
        throw new IllegalStateException("round " + rounds + ": rank " + r + " gathered " + v.length + " longs, rank 0 " + out.length);
      }
      for (int i = 0; i < out.length; i++) out[i] = Math.min(out[i], v[i]);
    }
    rounds++;
    return out;
  }

  /** One consensus round over {@code ranks}: gather on each, reduce, apply on each. */
  public <T> void round(List<T> ranks, Function<T, long[]> gather, java.util.function.BiConsumer<T, long[]> apply) {
    List<long[]> vs = new ArrayList<>(ranks.size());
    for (T t : ranks) vs.add(gather.apply(t));
    long[] r = reduceMin(vs);
    for (T t : ranks) apply.accept(t, r.clone());
  }
}
