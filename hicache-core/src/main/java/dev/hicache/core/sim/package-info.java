/**
 * The engine's simulation hooks, the one package besides the facade that the simulator may use:
 * the virtual-time port of the {@link dev.hicache.core.engine.DeterministicShell}.
 *
 * <ul>
 *   <li>{@link dev.hicache.core.sim.CostModel} and {@link dev.hicache.core.sim.L3CostModel} — how long a
 *       copy (L1↔L2) and an L3 command take in virtual time; their {@code Shared} forms put the
 *       transfers on {@link dev.hicache.core.sim.SharedLink}s that several instances use.
 *   <li>{@link dev.hicache.core.sim.ClusterTurns} — how a shell takes turns with the other members of
 *       the simulator's virtual-time cluster, so instances sharing a link act in one time order.
 *   <li>{@link dev.hicache.core.sim.MatchTouch} — what a splitting match touches (SGLang's, or the
 *       L1-only reference replay's).
 * </ul>
 *
 * <p>The simulation itself (the engine served request by request in virtual time, several instances
 * in one time order) lives in the simulator module ({@code dev.hicache.simulator.virtualtime}); it
 * reaches the engine only through the facade and this package.
 */
package dev.hicache.core.sim;
