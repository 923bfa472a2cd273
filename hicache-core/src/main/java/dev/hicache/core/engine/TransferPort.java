package dev.hicache.core.engine;

import dev.hicache.api.PageKey;

/**
 * Where the controller sends its L1↔L2 copy commands (docs/behaviour.md#device-to-host-backup,
 * docs/behaviour.md#layer-wise-load). A shell runs them — on I/O threads against real pools, or in
 * virtual time — and reports each completion back to the controller on the scheduler thread. A
 * command never fails synchronously.
 *
 * <p>The page and key arrays of a command are the controller's own, shared with its bookkeeping
 * and the tree, and nothing changes them while the command runs: a port reads them and never
 * writes into them.
 */
interface TransferPort {
  /**
   * Copies device pages to host pages (all layers at once), then reports {@link
   * CacheController#backupDone} with one checksum per host page ({@link
   * dev.hicache.core.pool.HostPageChecksum}) or null when no bytes are moved.
   */
  void backup(long op, int[] devicePages, int[] hostPages, PageKey[] keys);

  /** Loads host pages into device pages layer by layer, reporting layers on {@code ticket}, then {@link CacheController#loadDone}. */
  void load(long op, int[] hostPages, int[] devicePages, LoadTicket ticket);

  /** Checksum of a host page's bytes under {@code key}; only called when {@link #movesBytes()}. */
  long checksum(int hostPage, PageKey key);

  /** Whether this port moves real bytes (false in a metadata-only simulation). */
  boolean movesBytes();

  /** Commands issued and not yet reported. */
  int inFlight();
}
