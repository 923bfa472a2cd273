package dev.hicache.l2.sizing;

import java.math.BigInteger;

/**
 * Python's {@code int(text)} in base 10: surrounding whitespace, one sign, decimal digits of any
 * script (Unicode Nd), single underscores between digits.
 */
final class PyInt {
  private PyInt() {}

  /** The value, or null where Python raises ValueError. */
  static BigInteger parse(String text) {
    String s = SizeParser.pyStrip(text);
    int i = 0;
    boolean negative = false;
    if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    StringBuilder digits = new StringBuilder();
    boolean lastWasDigit = false;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == '_') {
        if (!lastWasDigit) return null;
        lastWasDigit = false;
        continue;
      }
      if (Character.getType(cp) != Character.DECIMAL_DIGIT_NUMBER) return null;
      digits.append(Character.digit(cp, 10));
      lastWasDigit = true;
    }
    if (digits.isEmpty() || !lastWasDigit) return null;
    BigInteger v = new BigInteger(digits.toString());
    return negative ? v.negate() : v;
  }
}
