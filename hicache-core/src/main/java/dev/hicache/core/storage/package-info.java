/**
 * The storage (L3) half of HiCache's controller: prefetch from L3 and backup to L3
 * (docs/behaviour.md#prefetch, docs/behaviour.md#backup-to-l3).
 *
 * <ul>
 *   <li>{@link dev.hicache.core.storage.StorageController} — the single-threaded state machine
 *       (docs/behaviour.md#prefetch-state-machine): QUEUED → REVOKED | TRANSFERRING → COMPLETE |
 *       TERMINATED_BY_IO → TERMINATED (and abort), the L2→L3 backup queue, and one consensus round
 *       per scheduler tick ({@code tick()} = {@code gather()} + one vector all-reduce + {@code
 *       apply()}).
 *   <li>{@link dev.hicache.core.storage.PrefetchPolicies} — best_effort, wait_complete, timeout, and a
 *       registry for users' own {@link dev.hicache.api.spi.PrefetchPolicy}.
 *   <li>{@link dev.hicache.core.storage.L3Port} with {@link dev.hicache.core.storage.VirtualTimeL3Port}
 *       (simulation, tests) and {@link dev.hicache.core.storage.ThreadedL3Port} (production); both run
 *       {@link dev.hicache.core.storage.L3PageIo}, which adds and verifies a per-page checksum trailer.
 *   <li>{@link dev.hicache.core.storage.FaultTolerantL3Store} — retry, back-off, detach, re-attach, in
 *       the clock it is given.
 *   <li>{@link dev.hicache.core.storage.HostPages} — how the controller borrows host pages (the
 *       engine's cache controller implements it; {@link dev.hicache.core.storage.TreeHostPages} is a
 *       stand-alone one).
 * </ul>
 *
 * Rules it keeps, each a fix for a problem SGLang users reported
 * (docs/behaviour.md#deliberate-differences-from-sglang): the root is a valid anchor; {@code
 * prefetch_tokens_occupied} is raised once and lowered once on every exit, asserted against the
 * live ops; the in-flight budget has a floor and a loud warning; every exit has a counted reason; a
 * host page goes back only after its last L3 IO; host pages are allocated after the query, sized to
 * the hit; a miss admits as soon as the query answers; a page that does not verify is a miss and is
 * removed from L3, never served.
 */
package dev.hicache.core.storage;
