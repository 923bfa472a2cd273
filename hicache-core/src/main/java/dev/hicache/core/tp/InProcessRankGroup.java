package dev.hicache.core.tp;

import dev.hicache.api.spi.RankGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link RankGroup} for N ranks living as N threads of one JVM (tests, simulation): each
 * collective blocks until every rank has called the same collective, then all get the element-wise
 * result. It checks the contract SGLang's deadlocks broke (docs/behaviour.md#tp-consensus): every
 * rank calls the same collective with the same length in the same round; a mismatch breaks the
 * group with an error naming the round and the ranks, and a rank that waits longer than the bound
 * breaks it with "waited alone" instead of hanging — so a deadlock fails a test rather than
 * stalling it.
 */
public final class InProcessRankGroup {
  private final int size;
  private final long timeoutNanos;
  private long round;
  private int arrived;
  private long[] acc;
  private String accKind;
  private int firstRank;
  private long[] result;
  private final long[] roundsPerRank;
  private RuntimeException broken;

  private InProcessRankGroup(int size, Duration timeout) {
    this.size = size;
    this.timeoutNanos = timeout.toNanos();
    this.roundsPerRank = new long[size];
  }

  /** {@code size} members, one per rank; hand member i to the thread of rank i. */
  public static List<RankGroup> create(int size, Duration timeout) {
    if (size < 1) throw new IllegalArgumentException("a rank group needs >= 1 rank, got " + size);
    if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be > 0");
    InProcessRankGroup g = new InProcessRankGroup(size, timeout);
    List<RankGroup> out = new ArrayList<>(size);
    for (int r = 0; r < size; r++) out.add(g.member(r));
    return out;
  }

  /** Collectives completed so far. */
  public synchronized long rounds() {
    return round;
  }

  private RankGroup member(int rank) {
    return new RankGroup() {
      @Override public int rank() { return rank; }
      @Override public int size() { return size; }
      @Override public void allReduceMin(long[] values) { reduce(rank, "min", values); }
      @Override public void allReduceMax(long[] values) { reduce(rank, "max", values); }
      @Override public String toString() { return "rank " + rank + " of " + size; }
    };
  }

  private synchronized void reduce(int rank, String kind, long[] values) {
    if (values == null) throw new IllegalArgumentException("all-reduce of null");
    if (broken != null) throw new IllegalStateException("rank group is broken: " + broken.getMessage(), broken);
    long myRound = round;
    if (roundsPerRank[rank] != myRound) {
      fail(new IllegalStateException("rank " + rank + " entered round " + myRound + " twice"));
    }
    if (arrived == 0) {
      acc = values.clone();
      accKind = kind;
      firstRank = rank;
    } else {
      if (!kind.equals(accKind) || values.length != acc.length) {
        fail(new IllegalStateException("round " + myRound + ": rank " + rank + " called all-reduce " + kind + " of "
            + values.length + " but rank " + firstRank + " called " + accKind + " of " + acc.length
            + " — ranks must call the same collectives in the same order"));
      }
      boolean min = kind.equals("min");
      for (int i = 0; i < acc.length; i++) acc[i] = min ? Math.min(acc[i], values[i]) : Math.max(acc[i], values[i]);
    }
    roundsPerRank[rank] = myRound + 1;
    if (++arrived == size) {
      result = acc;
      acc = null;
      arrived = 0;
      round++;
      notifyAll();
    } else {
      long deadline = System.nanoTime() + timeoutNanos;
      while (round == myRound && broken == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail(new IllegalStateException("TP deadlock: rank " + rank + " waited alone in round " + myRound + " ("
              + kind + " of " + values.length + "), " + arrived + " of " + size + " ranks arrived; ranks' rounds "
              + Arrays.toString(roundsPerRank)));
        }
        try {
          wait(Math.max(1, left / 1_000_000), 0);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail(new IllegalStateException("rank " + rank + " interrupted in round " + myRound));
        }
      }
      if (broken != null && round == myRound) throw new IllegalStateException("rank group is broken: " + broken.getMessage(), broken);
    }
    System.arraycopy(result, 0, values, 0, values.length);
  }

  private void fail(RuntimeException e) {
    if (broken == null) broken = e;
    notifyAll();
    throw e;
  }
}
