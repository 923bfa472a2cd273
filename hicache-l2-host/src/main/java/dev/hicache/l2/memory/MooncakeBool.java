package dev.hicache.l2.memory;

import java.util.Locale;
import java.util.Optional;

/**
 * Mooncake's boolean environment parser ({@code bool_parser.h},
 * docs/behaviour.md#memory-environment-variables): ASCII whitespace trimmed, case-insensitive,
 * 1/true/yes/on/enable and 0/false/no/off/disable.
 */
public final class MooncakeBool {
  /** The warning Mooncake gives for a value it does not recognise. */
  public static final String ACCEPTED = "accepted values: 1/0, true/false, yes/no, on/off";

  private MooncakeBool() {}

  /**
   * The value, or empty when the text is absent, empty or unrecognised (the caller ignores it;
   * an unrecognised value deserves {@link #ACCEPTED} as a warning, see {@link #recognised}).
   */
  public static Optional<Boolean> parse(String text) {
    if (text == null) return Optional.empty();
    String s = trimAscii(text).toLowerCase(Locale.ROOT);
    return switch (s) {
      case "1", "true", "yes", "on", "enable" -> Optional.of(true);
      case "0", "false", "no", "off", "disable" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  /** Whether the text is empty (ignored silently) or one of the accepted words. */
  public static boolean recognised(String text) {
    return text == null || trimAscii(text).isEmpty() || parse(text).isPresent();
  }

  private static String trimAscii(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && isSpace(s.charAt(b))) b++;
    while (e > b && isSpace(s.charAt(e - 1))) e--;
    return s.substring(b, e);
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
  }
}
