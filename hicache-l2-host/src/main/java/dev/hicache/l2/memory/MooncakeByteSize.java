package dev.hicache.l2.memory;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mooncake's C++ byte-size parser ({@code try_string_to_byte_size},
 * docs/behaviour.md#byte-size-parser), used for {@code MC_MMAP_ARENA_POOL_SIZE}, {@code
 * MC_STORE_HUGEPAGE_SIZE} and the client sizes. It is not the sizing command's parser ({@code
 * dev.hicache.l2.sizing.SizeParser}): this one takes exponents, hex floats and a space before the
 * unit, but no KiB/GiB spellings and no underscores.
 *
 * <p>Results are {@code size_t}: an unsigned 64-bit value in a {@code long} (the word {@code
 * infinite} is 2^64 − 1, which reads as -1 when signed).
 */
public final class MooncakeByteSize {
  /** 2^64 − 1 as an unsigned long. */
  public static final long INFINITE = -1L;

  private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  // What C++ std::stod accepts at the start of the text (after the caller trimmed it): a signed
  // decimal or hex float, or inf/infinity/nan. Non-finite values are rejected below.
  private static final Pattern NUMBER = Pattern.compile(
      "[+-]?(?:0[xX](?:\\p{XDigit}+(?:\\.\\p{XDigit}*)?|\\.\\p{XDigit}+)(?:[pP][+-]?\\d+)?"
          + "|(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?"
          + "|(?i:inf(?:inity)?|nan(?:\\([0-9A-Za-z_]*\\))?))");

  private MooncakeByteSize() {}

  /** The size in bytes (unsigned), or empty when the text is not a size. */
  public static OptionalLong parse(String text) {
    if (text == null) return OptionalLong.empty();
    String s = trim(text);
    if (s.isEmpty()) return OptionalLong.empty();
    if (s.equals("infinite")) return OptionalLong.of(INFINITE);
    Matcher m = NUMBER.matcher(s);
    if (!m.lookingAt()) return OptionalLong.empty();
    double value;
    try {
      value = toDouble(m.group());
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
    if (Double.isNaN(value) || Double.isInfinite(value) || value < 0) return OptionalLong.empty();
    String unit = trimLeading(s.substring(m.end())).toUpperCase(Locale.ROOT);
    long multiplier = switch (unit) {
      case "", "B" -> 1L;
      case "K", "KB" -> 1L << 10;
      case "M", "MB" -> 1L << 20;
      case "G", "GB" -> 1L << 30;
      case "T", "TB" -> 1L << 40;
      default -> 0L;
    };
    if (multiplier == 0) return OptionalLong.empty();
    BigInteger bytes = new BigDecimal(value * multiplier).toBigInteger();
    if (bytes.compareTo(U64_MAX) > 0) return OptionalLong.empty();
    return OptionalLong.of(bytes.longValue());
  }

  /** Mooncake's {@code string_to_byte_size}: invalid text counts as 0. */
  public static long parseOrZero(String text) {
    return parse(text).orElse(0L);
  }

  private static double toDouble(String number) {
    String n = number;
    String sign = "";
    if (n.startsWith("+") || n.startsWith("-")) {
      sign = n.substring(0, 1);
      n = n.substring(1);
    }
    String lower = n.toLowerCase(Locale.ROOT);
    if (lower.startsWith("inf")) return sign.equals("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    if (lower.startsWith("nan")) return Double.NaN;
    if (lower.startsWith("0x")) {
      // Java's hex float literal needs the binary exponent; C's makes it optional.
      String hex = lower.contains("p") ? n : n + "p0";
      return Double.parseDouble(sign + hex);
    }
    return Double.parseDouble(sign + n);
  }

  private static String trim(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && isTrimmed(s.charAt(b))) b++;
    while (e > b && isTrimmed(s.charAt(e - 1))) e--;
    return s.substring(b, e);
  }

  private static String trimLeading(String s) {
    int b = 0;
    while (b < s.length() && isTrimmed(s.charAt(b))) b++;
    return s.substring(b);
  }

  private static boolean isTrimmed(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }
}
