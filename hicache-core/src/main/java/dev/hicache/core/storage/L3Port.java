package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import java.util.List;

/**
 * Where the {@link StorageController} sends its L3 commands (docs/behaviour.md#prefetch,
 * docs/behaviour.md#backup-to-l3). A shell runs them — on I/O threads ({@link ThreadedL3Port}) or
 * in virtual time ({@link VirtualTimeL3Port}) — and hands each completion back on the scheduler
 * thread in {@link #poll}. A command never fails synchronously and never throws into the scheduler:
 * a failure is a completion that says so.
 *
 * <p>Three lanes, as SGLang's three storage threads: existence queries, reads (prefetch IO) and
 * writes (backup) each run one command at a time, in issue order.
 */
public interface L3Port extends AutoCloseable {
  /** The continuous hit: leading pages of {@code keys} present in L3, asked 128 at a time, stopping at the first chunk with a miss. */
  void query(long op, List<PageKey> keys);

  /** Reads at most 128 pages into {@code hostPages} (one per key), verifying each page's checksum. */
  void read(long op, List<PageKey> keys, int[] hostPages);

  /** Writes at most 128 pages from {@code hostPages}; pages L3 already holds are skipped by the backend. */
  void write(long op, List<PageKey> keys, int[] hostPages);

  /**
   * Drops command {@code op} if it has not started: it will never touch the store or its host
   * pages and no completion will come for it. False when it is running or done (its completion
   * comes as usual).
   */
  default boolean cancel(long op) {
    return false;
  }

  /** Delivers every completion that has arrived, on the caller's (the scheduler's) thread; returns how many. */
  int poll(Listener listener);

  /** Commands issued and not yet delivered. */
  int inFlight();

  /** When the next command completes in virtual time; {@link Long#MAX_VALUE} when none is pending or time is real. */
  default long nextDueNanos() {
    return Long.MAX_VALUE;
  }

  /** Stops the lanes after the commands already issued have run. */
  @Override void close();

  /** The completions, called by {@link #poll}. */
  interface Listener {
    void queried(long op, int hitPages, Throwable failure);

    void read(long op, ReadResult result);

    void written(long op, int storedPages, Throwable failure);
  }

  /**
   * A read's outcome: the leading {@code pages} that arrived and verified; if fewer than asked,
   * why — a checksum mismatch (the page was also removed from L3), a miss, or a failure.
   */
  record ReadResult(int pages, int asked, boolean checksumMismatch, Throwable failure) {
    public boolean full() {
      return pages == asked;
    }
  }
}
