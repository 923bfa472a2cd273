package dev.hicache.simulator.report;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * A one-line progress display on stderr for runs longer than a couple of seconds, shown only on
 * a terminal (never in files or pipes, so JSON and CSV output stay clean).
 */
public final class Progress implements LongConsumer, AutoCloseable {
  private static final long QUIET_NANOS = 2_000_000_000L;
  private final PrintStream err;
  private final boolean enabled;
  private final long total;
  private final String unit;
  private final long start = System.nanoTime();
  private long lastDraw;
  private boolean drawn;

  /** @param total expected count, or -1 when unknown */
  public Progress(long total, String unit, boolean enabled) {
    this.err = System.err;
    this.total = total;
    this.unit = unit;
    this.enabled = enabled && System.console() != null;
  }

  @Override public void accept(long done) {
    if (!enabled) return;
    long now = System.nanoTime();
    if (now - start < QUIET_NANOS || now - lastDraw < 200_000_000L) return;
    lastDraw = now;
    double secs = (now - start) / 1e9;
    String line;
    if (total > 0) {
      int width = 30;
      int filled = (int) Math.min(width, width * done / total);
      line = String.format(Locale.ROOT, "\r[%s%s] %,d/%,d %s  %.0f s", "#".repeat(filled), ".".repeat(width - filled),
          done, total, unit, secs);
    } else {
      line = String.format(Locale.ROOT, "\r%,d %s  %.0f s", done, unit, secs);
    }
    err.print(line);
    err.flush();
    drawn = true;
  }

  @Override public void close() {
    if (drawn) {
      err.print("\r" + " ".repeat(70) + "\r");
      err.flush();
    }
  }
}
