package dev.hicache.simulator.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A capacity in tokens: an integer with an optional decimal suffix (k = 10^3, M = 10^6,
 * G = 10^9; "3M" is 3,000,000, as the FAST'25 paper counts), or {@code inf}. {@link #INFINITE}
 * stands for inf.
 */
public final class TokenCount implements ITypeConverter<Long> {
  public static final long INFINITE = -1;

  @Override public Long convert(String value) {
    return parse(value);
  }

  public static long parse(String value) {
    String s = value.strip();
    if (s.equalsIgnoreCase("inf") || s.equalsIgnoreCase("infinite") || s.equalsIgnoreCase("unlimited")) {
      return INFINITE;
    }
    long mult = 1;
    if (!s.isEmpty()) {
      switch (s.charAt(s.length() - 1)) {
        case 'k', 'K' -> mult = 1_000L;
        case 'm', 'M' -> mult = 1_000_000L;
        case 'g', 'G' -> mult = 1_000_000_000L;
        default -> { }
      }
      if (mult != 1) s = s.substring(0, s.length() - 1);
    }
    s = s.replace("_", "");
    if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9') || s.length() > 15) {
      throw new TypeConversionException("'" + value
          + "' is not a token count (an integer such as 3000000 or 3M, or inf)");
    }
    return Long.parseLong(s) * mult;
  }

  /** "3,000,000" or "inf". */
  public static String format(long tokens) {
    return tokens == INFINITE ? "inf" : String.format("%,d", tokens);
  }
}
