package dev.hicache.api.config;

/** The built-in values of {@code --hicache-storage-prefetch-policy} (docs/behaviour.md#prefetch-policies). */
public enum PrefetchPolicyKind {
  /** Admit the request the first time the scheduler reaches it, with whatever has arrived. */
  BEST_EFFORT("best_effort"),
  /** Wait until every L3-hit page has arrived. */
  WAIT_COMPLETE("wait_complete"),
  /** Wait until complete or {@code base + per_ki_token × hit_tokens / 1024} seconds have passed. */
  TIMEOUT("timeout");

  private final String flag;

  PrefetchPolicyKind(String flag) {
    this.flag = flag;
  }

  public String flagName() {
    return flag;
  }

  public static PrefetchPolicyKind parse(String s) {
    for (PrefetchPolicyKind k : values()) if (k.flag.equals(s)) return k;
    throw new IllegalArgumentException("prefetchPolicy (SGLang's --hicache-storage-prefetch-policy): unknown policy '" + s
        + "' (expected best_effort, wait_complete or timeout)");
  }
}
