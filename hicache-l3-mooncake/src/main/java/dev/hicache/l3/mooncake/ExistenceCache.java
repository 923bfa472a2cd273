package dev.hicache.l3.mooncake;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/**
 * Recent {@code batch_is_exist} answers per object key, so that repeated prefetch queries for the
 * same prefix do not all reach the master. Short-lived by design: objects can be evicted at any
 * time (docs/behaviour.md#sglangs-mooncake-backend), and a stale answer only costs hit ratio — a
 * page believed present is still read and verified, and a page believed absent is recomputed. Our
 * own puts and removes update it at once.
 */
final class ExistenceCache {
  private final Cache<String, Boolean> cache;

  /** A disabled cache when {@code ttl} is zero. */
  ExistenceCache(Duration ttl, long maximumSize) {
    this.cache = ttl.isZero() ? null
        : Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(maximumSize).recordStats().build();
  }

  boolean enabled() {
    return cache != null;
  }

  /** Known answers for {@code keys}; keys without an answer are absent from the map. */
  Map<String, Boolean> known(Collection<String> keys) {
    return cache == null ? Map.of() : cache.getAllPresent(keys);
  }

  void put(String key, boolean exists) {
    if (cache != null) cache.put(key, exists);
  }

  void invalidate(String key) {
    if (cache != null) cache.invalidate(key);
  }

  void invalidateAll() {
    if (cache != null) cache.invalidateAll();
  }

  CacheStats stats() {
    return cache == null ? CacheStats.empty() : cache.stats();
  }
}
