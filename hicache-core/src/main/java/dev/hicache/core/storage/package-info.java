/**
 * The storage (L3) half of HiCache's controller: prefetch from L3 and backup to L3 (spec §6.5, §7).
 *
 * <ul>
 *   <li>{@link dev.hicache.core.storage.StorageController} — the single-threaded state machine: §7.5's
 *       QUEUED → REVOKED | TRANSFERRING → COMPLETE | TERMINATED_BY_IO → TERMINATED (and abort), the
 *       L2→L3 backup queue, and one consensus round per scheduler tick ({@code tick()} =
 *       {@code gather()} + one vector all-reduce + {@code apply()}).
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
 * Rules it keeps (spec §13): the root is a valid anchor (2); {@code prefetch_tokens_occupied} is
 * raised once and lowered once on every exit, asserted against the live ops (3); the in-flight
 * budget has a floor and a loud warning (4); every exit has a counted reason (5, 15); a host page
 * goes back only after its last L3 IO (8); host pages are allocated after the query, sized to the
 * hit (10); a miss admits as soon as the query answers (11); a page that does not verify is a miss
 * and is removed from L3, never served (20).
 */
package dev.hicache.core.storage;
