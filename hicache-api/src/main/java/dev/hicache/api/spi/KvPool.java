package dev.hicache.api.spi;

import dev.hicache.api.KvShape;

/**
 * A paged KV pool of token slots (docs/behaviour.md#slot-allocation): slots are integers, handed
 * out a page at a time.
 *
 * <p>Every pool owns native memory and is {@link AutoCloseable}: it reports the bytes it holds,
 * close returns all of them, a second close does nothing, and any use after close throws {@link
 * IllegalStateException} rather than touching freed memory.
 */
public interface KvPool extends AutoCloseable {
  KvShape shape();

  /** Capacity in token slots (a multiple of the page size). */
  int capacityTokens();

  /** Free token slots. */
  int availableTokens();

  /**
   * Allocates {@code tokens} slots ({@code tokens} a multiple of the page size) as whole pages:
   * every run of {@code page_size} returned slots starts at a page boundary and is consecutive.
   *
   * @return the slots, or {@code null} when fewer are free (the caller evicts and retries)
   */
  int[] alloc(int tokens);

  /** Returns slots to the pool. Freeing a slot that is not allocated is an error. */
  void free(int[] slots);

  /** Native bytes this pool holds now (0 after close). */
  long outstandingBytes();

  @Override void close();
}
