package dev.hicache.api.config;

import dev.hicache.api.spi.WritePolicy;

/** The three write policies of {@code --hicache-write-policy}, with SGLang's thresholds (docs/behaviour.md#write-policies). */
public enum WritePolicyKind implements WritePolicy {
  WRITE_THROUGH("write_through", 1, false),
  /** Threshold 2 (SGLang's Oct-2025 value; mid-2025 versions used 3). */
  WRITE_THROUGH_SELECTIVE("write_through_selective", 2, false),
  WRITE_BACK("write_back", 0, true);

  private final String flag;
  private final int threshold;
  private final boolean writeBack;

  WritePolicyKind(String flag, int threshold, boolean writeBack) {
    this.flag = flag;
    this.threshold = threshold;
    this.writeBack = writeBack;
  }

  @Override public String flagName() { return flag; }
  @Override public int writeThroughThreshold() { return threshold; }
  @Override public boolean writeBack() { return writeBack; }

  public static WritePolicyKind parse(String s) {
    for (WritePolicyKind k : values()) if (k.flag.equals(s)) return k;
    throw new IllegalArgumentException("writePolicy (SGLang's --hicache-write-policy): unknown policy '" + s
        + "' (expected write_through, write_through_selective or write_back)");
  }
}
