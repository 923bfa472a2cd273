package dev.hicache.simulator.workload;

import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.trace.TraceFormatException;
import dev.hicache.simulator.trace.TraceRecord;
import java.io.IOException;

/**
 * A Mooncake trace as a workload: arrivals at the records' timestamps (milliseconds) or all at
 * time 0 (as fast as possible), token ids by {@link TraceTokens}. Streams the file.
 */
public final class TraceWorkload implements Workload {
  public enum Arrivals { timestamps, asap }

  private final MooncakeTraceReader reader;
  private final int pageSize;
  private final Arrivals arrivals;
  private final TraceRecord rec = new TraceRecord();
  private long lastTimestamp = -1;

  public TraceWorkload(MooncakeTraceReader reader, int pageSize, Arrivals arrivals) {
    this.reader = reader;
    this.pageSize = pageSize;
    this.arrivals = arrivals;
  }

  @Override public boolean next(Request r) throws IOException {
    if (!reader.next(rec)) return false;
    if (arrivals == Arrivals.timestamps && rec.timestamp() < lastTimestamp) {
      throw new TraceFormatException(reader.source(), rec.line(), "timestamp " + rec.timestamp()
          + " is earlier than the previous line's " + lastTimestamp
          + " (arrivals at timestamps need a sorted trace; --arrivals asap replays in file order)");
    }
    lastTimestamp = rec.timestamp();
    r.arrivalNanos = arrivals == Arrivals.timestamps ? rec.timestamp() * 1_000_000L : 0;
    r.tokens = new int[rec.inputLength()]; // fresh: the engine may still refer to the last one
    TraceTokens.fill(rec, pageSize, MooncakeTraceReader.MOONCAKE_BLOCK_SIZE, r.tokens);
    r.outputTokens = rec.outputLength();
    r.group = 0;
    r.origin = rec.line();
    return true;
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
