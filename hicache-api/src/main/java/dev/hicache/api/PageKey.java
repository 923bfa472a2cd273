package dev.hicache.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * The key of one full page: a 32-byte SHA-256 digest of SGLang's page hash chain
 * (docs/behaviour.md#page-hash-chain).
 *
 * <p>Held as four longs so that keys are cheap to compare and hash in maps; the text form is the
 * lowercase 64-character hex that SGLang and Mooncake use as object keys.
 */
public final class PageKey implements Comparable<PageKey> {
  public static final int BYTES = 32;
  private static final HexFormat HEX = HexFormat.of();
  // Whole-word access: page keys are made once per hashed page, so byte loops would show up next
  // to SHA-256 itself (docs/design.md#page-keys-and-hashing).
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final long w0, w1, w2, w3;

  private PageKey(long w0, long w1, long w2, long w3) {
    this.w0 = w0; this.w1 = w1; this.w2 = w2; this.w3 = w3;
  }

  /** A key from the 32 raw digest bytes (big-endian words, as the bytes stand). */
  public static PageKey ofDigest(byte[] digest) {
    if (digest == null || digest.length != BYTES) {
      throw new IllegalArgumentException("a page key is 32 bytes, got "
          + (digest == null ? "null" : digest.length + " bytes"));
    }
    return new PageKey(word(digest, 0), word(digest, 8), word(digest, 16), word(digest, 24));
  }

  /**
   * A key from its four {@linkplain #word(int) words}: for tables that keep keys as primitive words
   * and give them back without going through bytes.
   */
  public static PageKey ofWords(long w0, long w1, long w2, long w3) {
    return new PageKey(w0, w1, w2, w3);
  }

  /** A key from 32 raw digest bytes at {@code off} (for the hasher: no copy, no re-validation). */
  static PageKey ofDigest(byte[] digest, int off) {
    return new PageKey(word(digest, off), word(digest, off + 8), word(digest, off + 16), word(digest, off + 24));
  }

  /** A key from its 64-character hex form; upper case is accepted, the key prints lower case. */
  public static PageKey fromHex(String hex) {
    if (hex == null || hex.length() != 2 * BYTES) {
      throw new IllegalArgumentException("a page key is 64 hex characters, got "
          + (hex == null ? "null" : "'" + hex + "' (" + hex.length() + " characters)"));
    }
    try {
      return ofDigest(HEX.parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a hex page key: '" + hex + "'", e);
    }
  }

  private static long word(byte[] b, int off) {
    return (long) LONG_BE.get(b, off);
  }

  /** The 32 raw digest bytes (a fresh copy). */
  public byte[] bytes() {
    byte[] out = new byte[BYTES];
    writeTo(out, 0);
    return out;
  }

  /** Writes the 32 raw digest bytes into {@code dst} at {@code off}. */
  public void writeTo(byte[] dst, int off) {
    put(dst, off, w0); put(dst, off + 8, w1); put(dst, off + 16, w2); put(dst, off + 24, w3);
  }

  private static void put(byte[] b, int off, long v) {
    LONG_BE.set(b, off, v);
  }

  /** Lowercase hex, 64 characters: the form SGLang's backends use in object keys. */
  public String toHex() {
    return HEX.toHexDigits(w0) + HEX.toHexDigits(w1) + HEX.toHexDigits(w2) + HEX.toHexDigits(w3);
  }

  /**
   * The digest's bytes {@code [8i, 8i + 8)} as a big-endian word, {@code i} in 0..3 (word 0 is
   * {@link #toInt64()}): for indexes that hash and compare keys without copying their bytes.
   */
  public long word(int i) {
    return switch (i) {
      case 0 -> w0;
      case 1 -> w1;
      case 2 -> w2;
      case 3 -> w3;
      default -> throw new IndexOutOfBoundsException("a page key has words 0..3, not " + i);
    };
  }

  /** SGLang's {@code hash_str_to_int64}: the first 16 hex characters as a signed 64-bit value. */
  public long toInt64() {
    return w0;
  }

  @Override public boolean equals(Object o) {
    return o instanceof PageKey k && k.w0 == w0 && k.w1 == w1 && k.w2 == w2 && k.w3 == w3;
  }

  @Override public int hashCode() {
    // The digest is uniformly distributed: any 32 bits of it make a good hash.
    return (int) (w1 ^ (w1 >>> 32));
  }

  @Override public int compareTo(PageKey o) {
    int c = Long.compareUnsigned(w0, o.w0);
    if (c != 0) return c;
    c = Long.compareUnsigned(w1, o.w1);
    if (c != 0) return c;
    c = Long.compareUnsigned(w2, o.w2);
    return c != 0 ? c : Long.compareUnsigned(w3, o.w3);
  }

  @Override public String toString() {
    return toHex();
  }
}
