package dev.hicache.simulator.report;

import java.util.Locale;

/**
 * A number printed with a fixed count of decimals: the same digits in text, CSV and JSON (where it
 * is a JSON number, or null when it is not finite).
 */
public record Decimal(double value, int places) {
  @Override public String toString() {
    return String.format(Locale.ROOT, "%." + places + "f", value);
  }

  /** The JSON form: a number, or null for NaN and infinities (which JSON has no literal for). */
  public String json() {
    return Double.isFinite(value) ? toString() : "null";
  }
}
