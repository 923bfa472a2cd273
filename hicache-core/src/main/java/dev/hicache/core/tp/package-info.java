/**
 * Tensor-parallel consensus for tests and simulation (docs/behaviour.md#tp-consensus).
 *
 * <p>{@link dev.hicache.core.tp.InProcessRankGroup}: N ranks as N threads of one JVM, with bounded
 * waits and checks that every rank calls the same collective with the same length in the same round
 * (a violation breaks the group with an error naming the round, instead of hanging).
 * {@link dev.hicache.core.tp.StepRankGroup}: N ranks in one thread for the deterministic shell —
 * gather on every rank, reduce, apply on every rank.
 *
 * <p>The protocol they serve: each scheduler tick, every rank joins exactly one MIN all-reduce of a
 * fixed-length vector (MAX entries negated), holding per-request votes in request-id order, so the
 * shape of the collective never depends on a rank's local state.
 */
package dev.hicache.core.tp;
