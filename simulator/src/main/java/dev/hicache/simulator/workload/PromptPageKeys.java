package dev.hicache.simulator.workload;

import dev.hicache.api.PageKey;

/**
 * A request's prompt page keys, chained from its namespace's seed, as the engine takes them
 * ({@link Request#pageKeys}): from the page serials when the request has them ({@link
 * SerialPageKeys}, {@code --page-keys serial}) through a {@link SerialKeyMemo}, else SGLang's keys over the tokens through a {@link
 * BlockKeyMemo}. One per thread (not thread-safe).
 */
public final class PromptPageKeys {
  private final int pageSize;
  private SerialKeyMemo serial;
  private BlockKeyMemo tokens;

  public PromptPageKeys(int pageSize) {
    if (pageSize < 1) throw new IllegalArgumentException("page size must be >= 1, got " + pageSize);
    this.pageSize = pageSize;
  }

  /** Every full page's key of {@code q}'s prompt. */
  public PageKey[] of(Request q) {
    PageKey seed = q.namespace == null ? null : q.namespace.seed();
    int pages = q.tokens.length / pageSize;
    if (q.pageSerials != null) {
      if (q.pageSerials.length != pages) {
        throw new IllegalStateException(q.pageSerials.length + " page serials for a prompt of " + pages + " full pages");
      }
      if (serial == null) serial = SerialKeyMemo.forTraceBlocks(pageSize);
      return serial.pageKeys(seed, q.pageSerials, pages);
    }
    if (tokens == null) tokens = BlockKeyMemo.forTraceBlocks(pageSize);
    return tokens.pageKeys(seed, q.tokens);
  }
}
