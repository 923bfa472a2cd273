/**
 * The tiered engine: SGLang's HiCache (L1 device, L2 host, L3 storage) behind one facade, {@link
 * dev.hicache.core.engine.HiCache}.
 *
 * <p>Structure (docs/design.md#the-core-and-its-shells):
 *
 * <ul>
 *   <li>{@code CacheController} — single-threaded, owns the radix tree and every page's state;
 *       issues copy commands to a {@code TransferPort} and applies their completions as events in
 *       issue order. Never blocks, never reads a clock (durations use the shell's clock).
 *   <li>{@code ProductionShell} — the port on real threads: JCTools queues to and from I/O threads
 *       that copy through the {@link dev.hicache.api.spi.DevicePool} SPI and checksum host pages.
 *   <li>{@link dev.hicache.core.engine.DeterministicShell} — the port in virtual time with a
 *       {@link dev.hicache.core.sim.CostModel}; property tests choose completion orders, the
 *       simulator ({@code TieredSimulation}, in the simulator module) lets the cost model decide.
 *   <li>The L3 half ({@code dev.hicache.core.storage.StorageController}) plugs into both shells.
 *   <li>Tensor parallelism ({@link dev.hicache.core.engine.HiCache.Builder#rankGroup}): each rank is a
 *       full cache; {@link dev.hicache.core.engine.HiCache#poll} runs exactly one all-reduce per
 *       scheduler iteration on every rank, carrying the copy acks (writing_check's TP-MIN, and the
 *       load acks) and the storage controller's votes. With TP &gt; 1 a shell never runs a
 *       collective per local event: it only delivers completions.
 * </ul>
 *
 * <p>Integrity: host pages are recorded with their page key and, at the backup's ack, a CRC32C of
 * key and bytes; a load-back verifies both before copying. A page that does not verify, or is not
 * acknowledged yet, is a miss. A load-back that fails for good poisons its device pages, which are
 * never served again.
 */
package dev.hicache.core.engine;
