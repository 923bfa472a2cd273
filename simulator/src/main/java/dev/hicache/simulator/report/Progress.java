package dev.hicache.simulator.report;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Progress of long work on stderr: done / total, the share done and an ETA. On a terminal, one
 * line redrawn in place (carriage return) a few times a second; elsewhere (a log file, a pipe, CI)
 * a plain line every {@link #LOG_EVERY_NANOS}, so a log says how far a long run got and how long
 * it has left. Nothing in the first seconds (short runs stay silent), and nothing on stdout, so
 * JSON and CSV output stay clean.
 *
 * <p>{@link #accept} may be called from several threads (a sweep's runs).
 */
public final class Progress implements LongConsumer, AutoCloseable {
  /** Where progress goes: nowhere, a line redrawn in place, or a plain line every few seconds. */
  public enum Mode { OFF, TERMINAL, LOG }

  /** A terminal shows nothing before this (a run of a second or two needs no progress line). */
  static final long QUIET_NANOS = 2_000_000_000L;
  /** A terminal's line is redrawn at most this often. */
  static final long REDRAW_NANOS = 200_000_000L;
  /** A log gets a line this often (the first one this long after the start). */
  static final long LOG_EVERY_NANOS = 5_000_000_000L;
  /**
   * The total is asked this long before the first line may be drawn, on a thread of its own: a
   * trace's is a pass over the whole file ({@link #lineCount}), which would otherwise stall the
   * replay thread that calls {@link #accept} (the replay being the bound of a long run).
   */
  static final long TOTAL_LEAD_NANOS = 1_000_000_000L;
  private static final int BAR_WIDTH = 30;

  private final PrintWriter err;
  private final Mode mode;
  private final LongSupplier totalSupplier;
  private final String unit;
  private final LongSupplier clock;
  private final long start;
  private long total = Long.MIN_VALUE; // not asked yet
  private FutureTask<Long> totalTask; // asked, on its own thread (null: not yet)
  private long lastDraw;
  private int lastWidth;
  private boolean drawn;

  /** Progress of {@code total} units (-1 when unknown) on this process's stderr, if {@code enabled}. */
  public Progress(long total, String unit, boolean enabled) {
    this(() -> total, unit, enabled ? detect() : Mode.OFF, new PrintWriter(System.err, true), System::nanoTime);
  }

  /**
   * Progress on {@code err} (the process's stderr, or what a test gave the command line), if
   * {@code enabled}: drawn in place when stderr is a terminal, as log lines otherwise.
   *
   * @param total asked once, on a thread of its own shortly before the first line is drawn (a
   *     trace's length is counted only for a run long enough to show progress); -1 when unknown
   */
  public Progress(LongSupplier total, String unit, boolean enabled, PrintWriter err) {
    this(total, unit, enabled ? detect() : Mode.OFF, err, System::nanoTime);
  }

  /** With a given mode and clock (tests: a fake clock). */
  Progress(LongSupplier total, String unit, Mode mode, PrintWriter err, LongSupplier clock) {
    this.totalSupplier = total;
    this.unit = unit;
    this.mode = mode;
    this.err = err;
    this.clock = clock;
    this.start = clock.getAsLong();
  }

  public Mode mode() {
    return mode;
  }

  /** {@code done} units so far (a count, not an increment). */
  @Override public synchronized void accept(long done) {
    if (mode == Mode.OFF) return;
    long now = clock.getAsLong();
    long elapsed = now - start;
    long firstDraw = mode == Mode.TERMINAL ? QUIET_NANOS : LOG_EVERY_NANOS;
    if (totalTask == null && elapsed >= firstDraw - TOTAL_LEAD_NANOS) {
      totalTask = new FutureTask<>(totalSupplier::getAsLong);
      Thread.ofPlatform().name("hicache-progress-total").daemon().start(totalTask);
    }
    if (mode == Mode.TERMINAL) {
      if (elapsed < QUIET_NANOS || (drawn && now - lastDraw < REDRAW_NANOS)) return;
    } else if (elapsed < LOG_EVERY_NANOS || (drawn && now - lastDraw < LOG_EVERY_NANOS)) {
      return;
    }
    if (total == Long.MIN_VALUE) total = awaitTotal();
    lastDraw = now;
    drawn = true;
    if (mode == Mode.TERMINAL) {
      String line = terminalLine(done, total, unit, elapsed);
      // Blank what is left of a longer earlier line.
      err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
      lastWidth = line.length();
    } else {
      err.println(logLine(done, total, unit, elapsed));
    }
    err.flush();
  }

  /** The total asked on its own thread (started by the time a line is drawn); its failure is thrown here. */
  private long awaitTotal() {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return totalTask.get();
        } catch (InterruptedException e) {
          interrupted = true; // the count is short: finish waiting, then keep the interrupt
        }
      }
    } catch (ExecutionException e) {
      switch (e.getCause()) {
        case RuntimeException r -> throw r;
        case Error r -> throw r;
        default -> throw new IllegalStateException("asking the progress total failed", e.getCause());
      }
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  /** A terminal's line clears itself; a log keeps its lines. */
  @Override public synchronized void close() {
    if (mode == Mode.TERMINAL && drawn) {
      err.print("\r" + " ".repeat(lastWidth) + "\r");
      err.flush();
    }
  }

  /** The line drawn in place: a bar when the total is known, then done / total, the share, elapsed and ETA. */
  static String terminalLine(long done, long total, String unit, long elapsedNanos) {
    if (total <= 0) {
      return String.format(Locale.ROOT, "%,d %s, %s elapsed", done, unit, duration(elapsedNanos));
    }
    int filled = (int) Math.max(0, Math.min(BAR_WIDTH, BAR_WIDTH * Math.min(done, total) / total));
    return String.format(Locale.ROOT, "[%s%s] %,d/%,d %s (%s), %s elapsed, ETA %s", "#".repeat(filled),
        ".".repeat(BAR_WIDTH - filled), done, total, unit, percent(done, total), duration(elapsedNanos),
        eta(done, total, elapsedNanos));
  }

  /** A log's line: done / total, the share, the rate, elapsed and ETA. */
  static String logLine(long done, long total, String unit, long elapsedNanos) {
    String rate = rate(done, elapsedNanos) + " " + unit + "/s";
    if (total <= 0) {
      return String.format(Locale.ROOT, "hicache: progress: %,d %s, %s, %s elapsed", done, unit, rate,
          duration(elapsedNanos));
    }
    return String.format(Locale.ROOT, "hicache: progress: %,d/%,d %s (%s), %s, %s elapsed, ETA %s", done, total,
        unit, percent(done, total), rate, duration(elapsedNanos), eta(done, total, elapsedNanos));
  }

  private static String percent(long done, long total) {
    return String.format(Locale.ROOT, "%.1f%%", 100.0 * Math.min(done, total) / total);
  }

  private static String rate(long done, long elapsedNanos) {
    double r = elapsedNanos <= 0 ? 0 : done / (elapsedNanos / 1e9);
    return r >= 100 ? String.format(Locale.ROOT, "%,.0f", r) : String.format(Locale.ROOT, "%.1f", r);
  }

  /** Time left at the rate so far; "unknown" before the first unit is done. */
  static String eta(long done, long total, long elapsedNanos) {
    if (done >= total) return duration(0);
    if (done <= 0) return "unknown";
    return duration((long) ((double) elapsedNanos * (total - done) / done));
  }

  /** 7 s, 4 min 05 s, 2 h 03 min. */
  static String duration(long nanos) {
    long s = Math.round(nanos / 1e9);
    if (s < 60) return s + " s";
    if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, s % 3600 / 60);
  }

  /**
   * Lines of a file that hold something (a trace's records, for a total), or -1 when it cannot be
   * read: one pass over its bytes, asked only when a run is long enough to show progress.
   */
  public static long lineCount(Path file) {
    if (file == null) return -1;
    long lines = 0;
    boolean content = false;
    byte[] buf = new byte[1 << 16];
    try (java.io.InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        int i = 0;
        while (i < n) {
          // Inside a line that holds something, eight bytes without a line end change nothing:
          // skip them whole (a trace's lines are hundreds of bytes long).
          if (content && i + 8 <= n && !hasNewline((long) LONGS.get(buf, i))) {
            i += 8;
            continue;
          }
          byte c = buf[i++];
          if (c == '\n') {
            if (content) lines++;
            content = false;
          } else if (c != ' ' && c != '\t' && c != '\r') {
            content = true;
          }
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return content ? lines + 1 : lines;
  }

  private static final java.lang.invoke.VarHandle LONGS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

  /** Whether one of the eight bytes of {@code w} is a line feed (the zero-byte test on {@code w} xor eight line feeds). */
  private static boolean hasNewline(long w) {
    long x = w ^ 0x0A0A0A0A0A0A0A0AL;
    return ((x - 0x0101010101010101L) & ~x & 0x8080808080808080L) != 0;
  }

  /**
   * Whether this process's stderr is a terminal: Linux says what fd 2 is; elsewhere the console's
   * answer (which looks at stdin and stdout, so stderr redirected alone still draws in place).
   */
  static Mode detect() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console")
          ? Mode.TERMINAL : Mode.LOG;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      java.io.Console c = System.console();
      return c != null && c.isTerminal() ? Mode.TERMINAL : Mode.LOG;
    }
  }
}
