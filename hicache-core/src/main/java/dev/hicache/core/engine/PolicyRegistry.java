package dev.hicache.core.engine;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.EvictionPolicy;
import dev.hicache.api.spi.PrefetchPolicy;
import dev.hicache.api.spi.WritePolicy;
import dev.hicache.core.storage.PrefetchPolicies;
import dev.hicache.core.tree.EvictionPolicies;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The policies a cache can be built with, by the names its flags take: one name → factory table
 * each for {@code --radix-eviction-policy}, {@code --hicache-storage-prefetch-policy} and {@code
 * --hicache-write-policy}. {@link #sglang()} holds SGLang's names (lru, lfu, fifo, mru, filo,
 * priority, slru; best_effort, wait_complete, timeout; write_through, write_through_selective,
 * write_back); {@link #toBuilder()} adds one's own. Immutable: a registry belongs to the caches
 * built with it ({@link HiCache.Builder#policies}), never to the process.
 */
public final class PolicyRegistry {
  private static final PolicyRegistry SGLANG = sglangBuilder().build();

  private final Map<String, Supplier<EvictionPolicy>> eviction;
  private final Map<String, Function<HiCacheConfig, PrefetchPolicy>> prefetch;
  private final Map<String, Function<HiCacheConfig, WritePolicy>> write;

  private PolicyRegistry(Builder b) {
    this.eviction = Collections.unmodifiableMap(new LinkedHashMap<>(b.eviction));
    this.prefetch = Collections.unmodifiableMap(new LinkedHashMap<>(b.prefetch));
    this.write = Collections.unmodifiableMap(new LinkedHashMap<>(b.write));
  }

  /** SGLang's policies under SGLang's names, and nothing else. */
  public static PolicyRegistry sglang() {
    return SGLANG;
  }

  private static Builder sglangBuilder() {
    Builder b = new Builder();
    for (String name : EvictionPolicies.names()) {
      EvictionPolicy p = EvictionPolicies.byName(name);
      b.eviction.put(name, () -> p);
    }
    for (PrefetchPolicyKind k : PrefetchPolicyKind.values()) {
      b.prefetch.put(k.flagName(), c -> PrefetchPolicies.create(c.toBuilder().prefetchPolicy(k).build()));
    }
    for (WritePolicyKind k : WritePolicyKind.values()) b.write.put(k.flagName(), c -> k);
    return b;
  }

  /** A builder that starts from this registry's entries. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.eviction.putAll(eviction);
    b.prefetch.putAll(prefetch);
    b.write.putAll(write);
    return b;
  }

  /** The {@code --radix-eviction-policy} named {@code name}; an error naming the flag and the value otherwise. */
  public EvictionPolicy eviction(String name) {
    return make("--radix-eviction-policy", name, eviction, Supplier::get);
  }

  /** The {@code --hicache-storage-prefetch-policy} named {@code name}, with the config's parameters. */
  public PrefetchPolicy prefetch(String name, HiCacheConfig config) {
    return make("--hicache-storage-prefetch-policy", name, prefetch, f -> f.apply(config));
  }

  /** The {@code --hicache-write-policy} named {@code name}, with the config's parameters. */
  public WritePolicy write(String name, HiCacheConfig config) {
    return make("--hicache-write-policy", name, write, f -> f.apply(config));
  }

  /** The eviction policies' names, SGLang's first, in the order they were added. */
  public Set<String> evictionNames() { return eviction.keySet(); }

  public Set<String> prefetchNames() { return prefetch.keySet(); }

  public Set<String> writeNames() { return write.keySet(); }

  private static <F, P> P make(String flag, String name, Map<String, F> table, Function<F, P> create) {
    if (name == null) throw new IllegalArgumentException(flag + ": no value given");
    F f = table.get(name);
    if (f == null) {
      throw new IllegalArgumentException(flag + ": unknown policy '" + name + "' (expected one of "
          + String.join(", ", table.keySet()) + ")");
    }
    P p = create.apply(f);
    if (p == null) throw new IllegalStateException(flag + ": the factory of '" + name + "' returned null");
    return p;
  }

  /** Adds policies; a name already taken (SGLang's included) is an error, so a built-in is never replaced unseen. */
  public static final class Builder {
    private final Map<String, Supplier<EvictionPolicy>> eviction = new LinkedHashMap<>();
    private final Map<String, Function<HiCacheConfig, PrefetchPolicy>> prefetch = new LinkedHashMap<>();
    private final Map<String, Function<HiCacheConfig, WritePolicy>> write = new LinkedHashMap<>();

    private Builder() {}

    public Builder eviction(String name, Supplier<EvictionPolicy> factory) {
      add("--radix-eviction-policy", eviction, name, factory);
      return this;
    }

    public Builder prefetch(String name, Function<HiCacheConfig, PrefetchPolicy> factory) {
      add("--hicache-storage-prefetch-policy", prefetch, name, factory);
      return this;
    }

    public Builder write(String name, Function<HiCacheConfig, WritePolicy> factory) {
      add("--hicache-write-policy", write, name, factory);
      return this;
    }

    private static <F> void add(String flag, Map<String, F> table, String name, F factory) {
      if (name == null || name.isBlank()) throw new IllegalArgumentException(flag + ": a policy needs a name");
      if (factory == null) throw new IllegalArgumentException(flag + ": policy '" + name + "' needs a factory");
      if (table.containsKey(name)) throw new IllegalArgumentException(flag + ": '" + name + "' is already registered");
      table.put(name, factory);
    }

    public PolicyRegistry build() {
      return new PolicyRegistry(this);
    }
  }
}
