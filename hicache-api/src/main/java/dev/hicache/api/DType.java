package dev.hicache.api;

import java.util.Locale;

/** KV cache element types. */
public enum DType {
  BF16(2), FP16(2), FP32(4), FP8_E4M3(1), FP8_E5M2(1);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  /** The name users type: bf16, fp16, fp32, fp8_e4m3, fp8_e5m2. */
  public String flagName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static DType parse(String s) {
    for (DType d : values()) if (d.flagName().equalsIgnoreCase(s)) return d;
    throw new IllegalArgumentException("unknown KV dtype '" + s + "' (expected one of bf16, fp16, fp32, fp8_e4m3, fp8_e5m2)");
  }
}
