package dev.hicache.l3.mooncake;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/** Java strings to NUL-terminated C strings, refusing what C cannot carry. */
final class CStrings {
  /** Keys longer than this fail Mooncake's op-log validation (docs/behaviour.md#keys-and-values). */
  static final int MAX_KEY_BYTES = 4096;

  private CStrings() {}

  /** A UTF-8 C string; an interior NUL is an {@link MooncakeException.InvalidString}. */
  static MemorySegment utf8(Arena arena, String s, String what) {
    if (s == null) throw new MooncakeException.InvalidArgument(what + " must not be null");
    if (s.indexOf('\0') >= 0) {
      throw new MooncakeException.InvalidString(what + " contains a NUL character at index " + s.indexOf('\0')
          + ", which a C string cannot carry: '" + s.replace("\0", "\\0") + "'");
    }
    return arena.allocateFrom(s, StandardCharsets.UTF_8);
  }

  /**
   * Checks an object key: 1 to {@value #MAX_KEY_BYTES} printable ASCII characters
   * (docs/behaviour.md#keys-and-values). Returns it for chaining.
   */
  static String checkKey(String key) {
    if (key == null) throw new MooncakeException.InvalidArgument("a key must not be null");
    if (key.isEmpty()) throw new MooncakeException.InvalidString("a key must not be empty");
    if (key.length() > MAX_KEY_BYTES) {
      throw new MooncakeException.InvalidString("a key is at most " + MAX_KEY_BYTES + " bytes, got "
          + key.length() + " ('" + key.substring(0, 32) + "...')");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw new MooncakeException.InvalidString("key '" + printable(key) + "' has a character outside printable ASCII"
            + " (U+" + String.format("%04X", (int) c) + ") at index " + i);
      }
    }
    return key;
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c <= 0x7e ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return b.toString();
  }
}
