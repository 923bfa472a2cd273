package dev.hicache.api.config;

/**
 * The built-in values of {@code --radix-eviction-policy} (docs/behaviour.md#eviction-policies). A
 * policy of one's own is registered by name in the core's policy registry and chosen on the cache's
 * builder, not here.
 */
public enum EvictionPolicyKind {
  /** Least recently used first (SGLang's default). */
  LRU("lru"),
  /** Least frequently used first, the older first among equals. */
  LFU("lfu"),
  /** Oldest insertion first. */
  FIFO("fifo"),
  /** Most recently used first. */
  MRU("mru"),
  /** Newest insertion first. */
  FILO("filo"),
  /** Lowest request priority first, then least recently used. */
  PRIORITY("priority"),
  /** Segmented LRU: nodes hit once go before nodes hit twice or more. */
  SLRU("slru");

  private final String flag;

  EvictionPolicyKind(String flag) {
    this.flag = flag;
  }

  /** The value as SGLang's flag spells it. */
  public String flagName() {
    return flag;
  }

  /**
   * The kind whose flag value is {@code s} (exact, lower case as SGLang spells it).
   *
   * @throws IllegalArgumentException naming the config field, the flag and the value
   */
  public static EvictionPolicyKind parse(String s) {
    for (EvictionPolicyKind k : values()) if (k.flag.equals(s)) return k;
    StringBuilder names = new StringBuilder();
    for (EvictionPolicyKind k : values()) names.append(names.isEmpty() ? "" : ", ").append(k.flag);
    throw new IllegalArgumentException("radixEvictionPolicy (SGLang's --radix-eviction-policy): unknown policy '" + s
        + "' (expected one of " + names + ")");
  }
}
