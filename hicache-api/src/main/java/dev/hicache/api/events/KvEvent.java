package dev.hicache.api.events;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import java.util.List;
import java.util.Objects;

/**
 * A change in which pages a tier of one cache holds, for cache-aware routers, in the spirit of
 * vLLM's and Dynamo's KV events ({@code BlockStored}, {@code BlockRemoved}, {@code
 * AllBlocksCleared}). Pages are named by their {@link PageKey}s, chained from the seed of their
 * namespace ({@link #namespaceSeed()}: the request's, or the cache's default one; null when there
 * is none); a listener that applies the events in {@link #sequence()} order holds the set of pages
 * each tier holds (docs/observability.md#kv-events).
 */
public sealed interface KvEvent permits KvEvent.BlockStored, KvEvent.BlockRemoved, KvEvent.AllBlocksCleared {
  /** 0, 1, 2, ... per cache, in the order the cache made the changes; a gap means dropped events. */
  long sequence();

  Tier tier();

  /**
   * The seed the pages' chains start from: their namespace's (docs/behaviour.md#namespaces), or
   * null. {@link AllBlocksCleared} names the cache's default namespace and clears every namespace.
   */
  PageKey namespaceSeed();

  /**
   * {@code pageKeys} joined {@code tier}, in prefix order; {@code parentKey} is the key of the page
   * before the first one (null at the start of a sequence).
   */
  record BlockStored(long sequence, Tier tier, PageKey namespaceSeed, PageKey parentKey, List<PageKey> pageKeys)
      implements KvEvent {
    public BlockStored {
      Objects.requireNonNull(tier, "tier");
      pageKeys = List.copyOf(pageKeys);
    }
  }

  /** {@code pageKeys} left {@code tier}. */
  record BlockRemoved(long sequence, Tier tier, PageKey namespaceSeed, List<PageKey> pageKeys) implements KvEvent {
    public BlockRemoved {
      Objects.requireNonNull(tier, "tier");
      pageKeys = List.copyOf(pageKeys);
    }
  }

  /** Every page left {@code tier} (the cache was reset or closed). */
  record AllBlocksCleared(long sequence, Tier tier, PageKey namespaceSeed) implements KvEvent {
    public AllBlocksCleared {
      Objects.requireNonNull(tier, "tier");
    }
  }
}
