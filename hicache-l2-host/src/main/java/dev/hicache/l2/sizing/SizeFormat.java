package dev.hicache.l2.sizing;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * The reference script's {@code format_size} (docs/behaviour.md#hugetlb-sizing): two decimals of
 * the largest binary unit up to TiB. Python divides into a double and rounds that double's exact
 * value, ties to even, which is what {@code new BigDecimal(double)} with HALF_EVEN reproduces
 * (String.format would round ties up: 1152 B is "1.12 KiB", not "1.13 KiB").
 */
public final class SizeFormat {
  private static final String[] UNITS = {"TiB", "GiB", "MiB", "KiB"};
  private static final int[] SHIFTS = {40, 30, 20, 10};

  private SizeFormat() {}

  public static String format(BigInteger bytes) {
    for (int i = 0; i < UNITS.length; i++) {
      BigInteger scale = BigInteger.ONE.shiftLeft(SHIFTS[i]);
      if (bytes.compareTo(scale) >= 0) {
        // int / int in Python is the correctly rounded quotient; the scale is a power of two, so
        // that is the correctly rounded double of the dividend, scaled exactly.
        double q = bytes.doubleValue() / scale.doubleValue();
        return new BigDecimal(q).setScale(2, RoundingMode.HALF_EVEN).toPlainString() + " " + UNITS[i];
      }
    }
    return bytes + " B";
  }

  public static String format(long bytes) {
    return format(BigInteger.valueOf(bytes));
  }
}
