package dev.hicache.api.config;

/** {@code --hicache-io-backend} (docs/behaviour.md#io-backends): how pages move between device and host. */
public enum IoBackend {
  /** Plain asynchronous memcpy of contiguous runs. */
  DIRECT("direct"),
  /** Gather/scatter copy kernels. */
  KERNEL("kernel");

  private final String flag;

  IoBackend(String flag) {
    this.flag = flag;
  }

  public String flagName() {
    return flag;
  }

  public static IoBackend parse(String s) {
    for (IoBackend b : values()) if (b.flag.equals(s)) return b;
    throw new IllegalArgumentException("ioBackend (SGLang's --hicache-io-backend): unknown backend '" + s + "' (expected direct or kernel)");
  }
}
