package dev.hicache.simulator.replay;

/**
 * Totals of an L1-only replay.
 *
 * @param requests records replayed
 * @param inputTokens sum of input_length
 * @param cachedTokens sum of matched pages × page size
 * @param pageRefs sum of full pages per request (floor(input_length / P)): the page events
 * @param insertedPages pages added to the tree
 * @param evictedPages pages evicted from the tree
 * @param truncatedInserts requests whose insert was cut short because the path filled L1
 * @param capacityTokens the capacity asked for, or {@link L1OnlyReplay#INFINITE}
 * @param capacityPages whole pages of that capacity, or {@link L1OnlyReplay#INFINITE}
 * @param residentPages pages in L1 at the end
 * @param nodes radix-tree nodes at the end (the root included)
 * @param wallNanos wall time of the replay (reading and parsing the trace included)
 */
public record L1ReplayResult(long requests, long inputTokens, long cachedTokens, long pageRefs,
    long insertedPages, long evictedPages, long truncatedInserts, long capacityTokens,
    long capacityPages, int pageSize, long residentPages, long nodes, long wallNanos) {

  /** cached tokens ÷ input tokens (0 for an empty trace). */
  public double tokenHitRatio() {
    return inputTokens == 0 ? 0 : (double) cachedTokens / inputTokens;
  }

  public boolean infinite() {
    return capacityTokens == L1OnlyReplay.INFINITE;
  }

  public double wallSeconds() {
    return wallNanos / 1e9;
  }

  /** Page references replayed per second of wall time. */
  public double pageEventsPerSecond() {
    return wallNanos == 0 ? 0 : pageRefs / (wallNanos / 1e9);
  }
}
