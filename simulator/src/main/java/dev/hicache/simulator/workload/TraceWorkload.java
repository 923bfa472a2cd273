package dev.hicache.simulator.workload;

import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.trace.TraceFormatException;
import dev.hicache.simulator.trace.TraceRecord;
import java.io.IOException;

/**
 * A Mooncake trace as a workload: arrivals at the records' timestamps (milliseconds) or all at
 * time 0 (as fast as possible), token ids by {@link TraceTokens}. Streams the file. With serial
 * page keys each request also carries its full pages' serials ({@link Request#pageSerials}), from
 * which its page keys are made ({@link SerialPageKeys}; docs/simulator.md#page-keys).
 */
public final class TraceWorkload implements Workload {
  public enum Arrivals { timestamps, asap }

  private final MooncakeTraceReader reader;
  private final int pageSize;
  private final Arrivals arrivals;
  private final boolean serialKeys;
  private final TraceRecord rec = new TraceRecord();
  private long lastTimestamp = -1;
  private long firstTimestamp = -1;
  private long firstLine;

  /**
   * The longest span of arrival times a replay accepts: a year of virtual time. Longer means the
   * timestamps are not milliseconds (microseconds, nanoseconds) or the trace is damaged.
   */
  public static final long MAX_SPAN_MS = 366L * 24 * 3600 * 1000;

  /** Pages keyed by SGLang's hash of their tokens ({@code --page-keys tokens}). */
  public TraceWorkload(MooncakeTraceReader reader, int pageSize, Arrivals arrivals) {
    this(reader, pageSize, arrivals, false);
  }

  /** @param serialKeys pages keyed by their serials ({@code --page-keys serial}) */
  public TraceWorkload(MooncakeTraceReader reader, int pageSize, Arrivals arrivals, boolean serialKeys) {
    this.reader = reader;
    this.pageSize = pageSize;
    this.arrivals = arrivals;
    this.serialKeys = serialKeys;
  }

  @Override public boolean next(Request r) throws IOException {
    if (!reader.next(rec)) return false;
    if (arrivals == Arrivals.timestamps && rec.timestamp() < lastTimestamp) {
      throw new TraceFormatException(reader.source(), rec.line(), "timestamp " + rec.timestamp()
          + " is earlier than the previous line's " + lastTimestamp
          + " (arrivals at timestamps need a sorted trace; --arrivals asap replays in file order)");
    }
    lastTimestamp = rec.timestamp();
    r.arrivalNanos = arrivals == Arrivals.timestamps ? arrivalNanos(rec) : 0;
    // Both fresh: the engine may still refer to the last ones.
    r.tokens = new int[rec.inputLength()];
    r.pageSerials = serialKeys ? new long[rec.inputLength() / pageSize] : null;
    TraceTokens.fill(rec, pageSize, MooncakeTraceReader.MOONCAKE_BLOCK_SIZE, r.tokens, r.pageSerials);
    r.outputTokens = rec.outputLength();
    r.group = 0;
    r.origin = rec.line();
    return true;
  }

  /**
   * Virtual time starts at the first record: timestamps are milliseconds from any origin (Unix
   * epoch milliseconds included), and only their differences matter.
   */
  private long arrivalNanos(TraceRecord rec) throws TraceFormatException {
    if (firstTimestamp < 0) {
      firstTimestamp = rec.timestamp();
      firstLine = rec.line();
    }
    long spanMs = rec.timestamp() - firstTimestamp;
    if (spanMs > MAX_SPAN_MS) {
      throw new TraceFormatException(reader.source(), rec.line(), "timestamp " + rec.timestamp() + " is "
          + spanMs / (24 * 3600 * 1000L) + " days after the first record's " + firstTimestamp + " (line " + firstLine
          + "); a replay spans at most 366 days (timestamps are milliseconds; --arrivals asap ignores them)");
    }
    return Math.multiplyExact(spanMs, 1_000_000L); // cannot overflow below MAX_SPAN_MS; checked anyway
  }

  /** Arrivals come from the trace (or the generator) alone. */
  @Override public boolean openLoop() {
    return true;
  }

  @Override public String describe() {
    return "Mooncake trace " + reader.source() + " (arrivals: "
        + (arrivals == Arrivals.timestamps ? "at timestamps" : "as fast as possible") + ")";
  }

  @Override public void close() throws IOException {
    reader.close();
  }
}
