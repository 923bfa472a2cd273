package dev.hicache.core.engine;

/**
 * What a cache-control hint did (docs/engine-integration.md#cache-control). A hint never fails a
 * request and never throws for a state of the cache: when it cannot apply, or applies only in part,
 * it says why.
 *
 * @param hint           which hint
 * @param requestedPages the full pages of the prefix it was given
 * @param appliedPages   the pages it acted on: pinned; unpinned; asked of L3 (prefetch); moved off
 *                       the device now (demote: pages that first wait for a backup are counted in
 *                       {@code hicache_hint_pages{demote}} when they leave)
 * @param reason         {@link Reason#APPLIED} when the whole prefix was acted on (or, for a
 *                       prefetch, its L3 read started); otherwise why not, or not all of it
 */
public record HintResult(Hint hint, int requestedPages, int appliedPages, Reason reason) {
  public HintResult {
    if (hint == null || reason == null) throw new IllegalArgumentException("hint and reason are required");
    if (requestedPages < 0 || appliedPages < 0) {
      throw new IllegalArgumentException("page counts must be >= 0, got " + requestedPages + " and " + appliedPages);
    }
  }

  /** The hints. */
  public enum Hint {
    PIN("pin"), UNPIN("unpin"), PREFETCH("prefetch"), DEMOTE("demote");

    private final String label;

    Hint(String label) { this.label = label; }

    /** The metric label ({@code hint}). */
    public String label() { return label; }
  }

  /** Why a hint did what it did; the metric label of {@code hicache_hints_not_applied}. */
  public enum Reason {
    /** Done for the whole prefix (a prefetch: its L3 query and reads started). */
    APPLIED("applied"),
    /** The prefix (or the rest of it) is not in the tier the hint acts on: not cached at all, or, for a demote, not on the device. */
    NOT_CACHED("not_cached"),
    /** Pin: the pinned share of a tier ({@code HiCache.Builder.pinnedShare}) is used up; the leading pages that fit are pinned. */
    BUDGET_EXHAUSTED("budget_exhausted"),
    /** Unpin: no pin of exactly this prefix. */
    NOT_PINNED("not_pinned"),
    /** Demote: a running request, a load-back or a copy holds the pages on the device. */
    IN_USE("in_use"),
    /** Demote: a pin holds the pages on the device. */
    PINNED("pinned"),
    /** Demote: other cached sequences branch off inside the prefix and still need these pages on the device. */
    SHARED("shared"),
    /** Demote: some pages have no host copy yet; their backup is issued and they leave the device when it completes. */
    PENDING("pending"),
    /** Demote or prefetch: the cache has no host tier (a demote would lose the only copy). */
    NO_HOST_TIER("no_host_tier"),
    /** Demote: no host pages for the backup (all protected); prefetch: the storage controller's gate of that name. */
    NO_HOST_MEMORY("no_host_memory"),
    /** Prefetch: the cache has no L3. */
    NO_L3("no_l3"),
    /** Prefetch: the device and host tiers already hold the whole prefix. */
    ALREADY_CACHED("already_cached"),
    /** Prefetch: a prefetch hint of this prefix is still running. */
    ALREADY_PREFETCHING("already_prefetching"),
    /** Prefetch: what is missing locally is shorter than the prefetch threshold (docs/behaviour.md#prefetch-trigger). */
    BELOW_THRESHOLD("below_threshold"),
    /** Prefetch: the in-flight prefetch budget or its slots are used up (docs/behaviour.md#prefetch-accounting). */
    RATE_LIMITED("rate_limited"),
    /** Prefetch: the local match ends at a node without page keys (docs/behaviour.md#where-chains-start). */
    BROKEN_CHAIN("broken_chain");

    private final String label;

    Reason(String label) { this.label = label; }

    /** The metric label ({@code reason}). */
    public String label() { return label; }
  }

  /** Whether the hint acted on the whole prefix. */
  public boolean applied() { return reason == Reason.APPLIED; }
}
