package dev.hicache.simulator.trace;

import java.util.Arrays;

/**
 * One request of a Mooncake trace. Mutable and reused by {@link MooncakeTraceReader#next} so that
 * streaming a trace allocates nothing per line; {@link #copy()} when a record must be kept.
 */
public final class TraceRecord {
  long timestamp;
  int inputLength;
  int outputLength;
  long[] hashIds = new long[64];
  int hashIdCount;
  long line;

  /** Arrival time relative to the trace start, in milliseconds. */
  public long timestamp() {
    return timestamp;
  }

  /** Prompt length in tokens (at least 1). */
  public int inputLength() {
    return inputLength;
  }

  public int outputLength() {
    return outputLength;
  }

  /** Number of prefix-chained block ids; {@code ceil(inputLength / blockSize)}. */
  public int hashIdCount() {
    return hashIdCount;
  }

  /** Block id {@code i} ({@code 0 <= i < hashIdCount()}): names block i together with all before it. */
  public long hashId(int i) {
    if (i < 0 || i >= hashIdCount) {
      throw new IndexOutOfBoundsException("hash id " + i + " of " + hashIdCount);
    }
    return hashIds[i];
  }

  /** A copy of the block ids. */
  public long[] hashIds() {
    return Arrays.copyOf(hashIds, hashIdCount);
  }

  /** The 1-based line the record came from. */
  public long line() {
    return line;
  }

  /** An independent copy (the reader overwrites this one on its next call). */
  public TraceRecord copy() {
    TraceRecord r = new TraceRecord();
    r.timestamp = timestamp;
    r.inputLength = inputLength;
    r.outputLength = outputLength;
    r.hashIds = Arrays.copyOf(hashIds, Math.max(1, hashIdCount));
    r.hashIdCount = hashIdCount;
    r.line = line;
    return r;
  }

  /** Sets every field (for generators and tests); validates nothing. */
  public TraceRecord set(long timestamp, int inputLength, int outputLength, long[] hashIds, long line) {
    this.timestamp = timestamp;
    this.inputLength = inputLength;
    this.outputLength = outputLength;
    if (this.hashIds.length < hashIds.length) this.hashIds = new long[hashIds.length];
    System.arraycopy(hashIds, 0, this.hashIds, 0, hashIds.length);
    this.hashIdCount = hashIds.length;
    this.line = line;
    return this;
  }

  @Override public String toString() {
    return "{\"timestamp\": " + timestamp + ", \"input_length\": " + inputLength
        + ", \"output_length\": " + outputLength + ", \"hash_ids\": "
        + Arrays.toString(hashIds()) + "}";
  }
}
