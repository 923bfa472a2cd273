package dev.hicache.l2.sizing;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sizing command's size parser, a port of the reference script's {@code parse_size}
 * (docs/behaviour.md#hugetlb-sizing): digits with an optional fraction and 1024-based units up to
 * TiB, underscores ignored. Not Mooncake's C++ parser ({@code MooncakeByteSize}); the two accept
 * different text.
 *
 * <p>Results are exact integers of any size, as in Python: the number goes through a double, so
 * 9007199254740993 reads as 9007199254740992, and 100000000tib is above 2^63.
 */
public final class SizeParser {
  private static final Pattern SHAPE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)([a-z]*)");

  private SizeParser() {}

  /** A size the reference script would reject, with its message. */
  public static final class InvalidSizeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidSizeException(String message) {
      super(message);
    }
  }

  public static BigInteger parse(String text) {
    String normalized = pyStrip(text).toLowerCase(Locale.ROOT).replace("_", "");
    Matcher m = SHAPE.matcher(normalized);
    if (!m.matches()) throw new InvalidSizeException("invalid size: " + PyRepr.repr(text));
    long unit = switch (m.group(2)) {
      case "", "b" -> 1L;
      case "k", "kb", "kib" -> 1L << 10;
      case "m", "mb", "mib" -> 1L << 20;
      case "g", "gb", "gib" -> 1L << 30;
      case "t", "tb", "tib" -> 1L << 40;
      default -> throw new InvalidSizeException("unsupported size unit in " + PyRepr.repr(text));
    };
    double number = Double.parseDouble(m.group(1));
    // float(number) * unit in Python: a double times a power of two, exact unless it overflows.
    double bytes = number * unit;
    if (Double.isInfinite(bytes)) {
      // Python raises OverflowError from int(inf); the reference would crash with a traceback.
      throw new InvalidSizeException("size out of range: " + PyRepr.repr(text));
    }
    return new BigDecimal(bytes).toBigInteger();
  }

  /**
   * Python's str.strip() with no argument: whitespace in Python's sense (the Unicode White_Space
   * characters and the ASCII separators \x1c-\x1f).
   */
  static String pyStrip(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && pySpace(s.charAt(b))) b++;
    while (e > b && pySpace(s.charAt(e - 1))) e--;
    return s.substring(b, e);
  }

  static boolean pySpace(char c) {
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
  }
}
