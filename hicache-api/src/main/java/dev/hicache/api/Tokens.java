package dev.hicache.api;

/**
 * Token ids. SGLang's token ids are unsigned 32-bit values (docs/behaviour.md#page-hash-chain); we
 * hold them in {@code int[]} with the unsigned reading, so 4294967295 is stored as -1 and hashes as
 * {@code ff ff ff ff}.
 */
public final class Tokens {
  public static final long MAX_TOKEN_ID = 0xFFFF_FFFFL;

  private Tokens() {}

  /** Converts ids given as longs, rejecting any outside 0..2^32-1 as SGLang does. */
  public static int[] fromUnsigned(long[] ids) {
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      long v = ids[i];
      if (v < 0 || v > MAX_TOKEN_ID) {
        throw new IllegalArgumentException(
            "token id " + v + " at index " + i + " is outside 0.." + MAX_TOKEN_ID);
      }
      out[i] = (int) v;
    }
    return out;
  }

  /** The unsigned value of a stored id. */
  public static long unsigned(int id) {
    return Integer.toUnsignedLong(id);
  }

  /** The number of full pages in {@code length} tokens. */
  public static int fullPages(int length, int pageSize) {
    return length / pageSize;
  }

  /** {@code length} truncated to a multiple of the page size (SGLang's page alignment). */
  public static int pageAligned(int length, int pageSize) {
    return length / pageSize * pageSize;
  }
}
