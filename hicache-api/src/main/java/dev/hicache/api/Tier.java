package dev.hicache.api;

/** The three tiers of HiCache. */
public enum Tier {
  /** L1: the paged device (GPU) KV pool, private to one engine instance and rank. */
  DEVICE("L1", "device"),
  /** L2: the pinned host KV pool, private to one engine instance and rank. */
  HOST("L2", "host"),
  /** L3: a key-value page store shared by every instance (Mooncake, or the embedded store). */
  STORAGE("L3", "storage");

  private final String level;
  private final String sglangName;

  Tier(String level, String sglangName) {
    this.level = level;
    this.sglangName = sglangName;
  }

  /** "L1", "L2" or "L3". */
  public String level() {
    return level;
  }

  /** SGLang's {@code cache_source} label value: device, host or storage. */
  public String sglangName() {
    return sglangName;
  }
}
