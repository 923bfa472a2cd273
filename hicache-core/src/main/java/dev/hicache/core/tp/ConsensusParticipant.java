package dev.hicache.core.tp;

/**
 * Something else that must agree across TP ranks each tick (for example the engine's
 * {@code writing_check}: the MIN over ranks of finished device-to-host acks), riding in the same
 * single vector all-reduce as the storage controller's votes, so a tick stays one collective.
 *
 * <p>Its entries are reduced with MIN; to take a MAX, write the negated value and negate the result.
 * {@link #width()} must be the same on every rank and never change: the vector's shape may not depend
 * on local state.
 */
public interface ConsensusParticipant {
  /** Longs this participant puts into every tick's vector. */
  int width();

  /** Writes this rank's values at {@code v[off .. off + width())}. */
  void gather(long[] v, int off);

  /** Reads the reduced values at {@code r[off .. off + width())}; called on every rank alike. */
  void apply(long[] r, int off);
}
