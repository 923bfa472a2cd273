package dev.hicache.core.tree;

import dev.hicache.api.spi.EvictionPolicy;
import java.util.Arrays;
import java.util.List;

/** Looks up the built-in eviction policies by their {@code --radix-eviction-policy} value. */
public final class EvictionPolicies {
  /** SGLang's default, {@code lru}. */
  public static final EvictionPolicy DEFAULT = BuiltinEvictionPolicy.LRU;

  private EvictionPolicies() {}

  /** The flag values of the built-in policies, in the order of docs/behaviour.md#eviction-policies. */
  public static List<String> names() {
    return Arrays.stream(BuiltinEvictionPolicy.values()).map(BuiltinEvictionPolicy::flagName).toList();
  }

  /**
   * The policy for a {@code --radix-eviction-policy} value (exact, lower case as SGLang spells it).
   *
   * @throws IllegalArgumentException naming the flag and the value when no built-in policy has it
   */
  public static EvictionPolicy byName(String name) {
    for (BuiltinEvictionPolicy p : BuiltinEvictionPolicy.values()) {
      if (p.flagName().equals(name)) return p;
    }
    throw new IllegalArgumentException("radixEvictionPolicy (SGLang's --radix-eviction-policy): unknown policy '" + name
        + "' (expected one of " + String.join(", ", names()) + ")");
  }
}
