package dev.hicache.core.storage;

import dev.hicache.api.metrics.TerminalReason;
import dev.hicache.api.PageKey;
import dev.hicache.api.spi.PrefetchProgress;
import dev.hicache.core.tree.TreeNode;
import java.util.List;

/**
 * One prefetch (SGLang's {@code PrefetchOperation} plus its {@code ongoing_prefetch} entry): the
 * anchor it hangs below, the tokens it asked for, what L3 holds, the host pages it fills, and its
 * state. Owned by the {@link StorageController}; only the scheduler thread touches it.
 */
public final class PrefetchOperation implements PrefetchProgress {
  final long rid;
  final TreeNode anchor;
  final int[] tokens;
  /** Where the asked-for span starts in {@link #tokens} (the local match length). */
  final int from;
  final int requestedTokens;
  final long startNanos;
  /** The query's page keys (chained from the anchor), truncated to the hit once it is agreed. */
  List<PageKey> keys;
  PrefetchState state = PrefetchState.QUEUED;
  TerminalReason reason;
  /** This rank's query result (tokens), -1 while the query runs. */
  int localHitTokens = -1;
  /** The agreed (TP-MIN) hit, -1 until agreed. */
  int hitTokens = -1;
  /** Host pages, one per hit page, allocated once the hit is agreed (our profile) or at start (compatible profile). */
  int[] hostPages;
  /** Leading pages that arrived and verified, in tokens. */
  int completedTokens;
  /** Pages issued to L3 reads so far. */
  int issuedPages;
  /** Read batches in flight (0 or 1: batches go one after another, as SGLang's IO thread runs them). */
  int inFlightBatches;
  /** The query is in flight. */
  boolean queryInFlight;
  long queryCommand;
  /** The read batch in flight: its command and pages. */
  long readCommand;
  int readPages;
  /** Set by this rank: an IO failure, checksum mismatch or a failed host allocation. */
  boolean localTerminated;
  TerminalReason localReason;
  /** The scheduler asked to admit the request (it reached it in the waiting queue). */
  boolean admissionAsked;
  /**
   * Started by a prefetch hint, not by a queued request: no request waits for it, so it ends when
   * every hit page has arrived (or on a failure), whatever the prefetch policy.
   */
  boolean hint;
  /** Tokens inserted into the tree (the agreed m minus duplicates), set at termination. */
  int insertedTokens;
  /** Pages beyond the agreed m still being read when the op ended; freed when their batch returns. */
  int[] zombiePages;

  PrefetchOperation(long rid, TreeNode anchor, int[] tokens, int from, int requestedTokens, long startNanos,
                    List<PageKey> keys) {
    this.rid = rid;
    this.anchor = anchor;
    this.tokens = tokens;
    this.from = from;
    this.requestedTokens = requestedTokens;
    this.startNanos = startNanos;
    this.keys = keys;
  }

  void moveTo(PrefetchState to) {
    if (!state.canMoveTo(to)) {
      throw new IllegalStateException("prefetch of request " + rid + ": illegal transition " + state + " -> " + to);
    }
    state = to;
  }

  public long rid() { return rid; }

  public PrefetchState state() { return state; }

  /** Why it ended, or null while it runs. */
  public TerminalReason reason() { return reason; }

  @Override public long startNanos() { return startNanos; }

  @Override public int requestedTokens() { return requestedTokens; }

  @Override public int hitTokens() { return hitTokens; }

  @Override public int completedTokens() { return completedTokens; }

  @Override public String toString() {
    return "Prefetch[rid " + rid + ", " + state + (reason == null ? "" : " " + reason.label()) + ", requested "
        + requestedTokens + ", hit " + hitTokens + ", completed " + completedTokens + "]";
  }
}
