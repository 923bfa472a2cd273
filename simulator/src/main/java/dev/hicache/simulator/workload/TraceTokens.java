package dev.hicache.simulator.workload;

import dev.hicache.simulator.trace.TraceRecord;

/**
 * Token ids for a Mooncake record (issue 2's mapping): page k of P tokens is identified by
 * {@code (hash_ids[kP/B], (kP mod B)/P)} for block size B, written as one number, the page serial
 * {@code hash_id × (B/P) + sub-page}, into the page's first two tokens (low and high 32 bits); the
 * other tokens of a page are 0. Equal identities give equal pages; different identities never do.
 * Tokens of a partial last page carry the serial of that page too (they are never cached).
 */
public final class TraceTokens {
  private TraceTokens() {}

  /**
   * Writes the record's {@code inputLength} token ids into {@code out[0..inputLength)}, which must
   * be all zeros (a new array): only each page's serial is written, not the zeros that make up
   * almost all of a page (docs/design.md#metadata-only-simulation).
   */
  public static void fill(TraceRecord r, int pageSize, int blockSize, int[] out) {
    fill(r, pageSize, blockSize, out, null);
  }

  /**
   * {@link #fill(TraceRecord, int, int, int[])}, and when {@code serials} is not null, the full
   * pages' serials as {@link #serials} gives them into {@code serials[0 .. inputLength / pageSize)}:
   * one pass over the pages, a block's hash id read once.
   */
  public static void fill(TraceRecord r, int pageSize, int blockSize, int[] out, long[] serials) {
    int perBlock = blockSize / pageSize;
    if (perBlock < 1) throw new IllegalArgumentException("page size " + pageSize + " is larger than the trace's blocks of " + blockSize + " tokens");
    int length = r.inputLength();
    int pages = (length + pageSize - 1) / pageSize;
    int full = length / pageSize;
    for (int b = 0, k = 0; k < pages; b++) {
      long first = r.hashId(b) * perBlock;
      for (int sub = 0; sub < perBlock && k < pages; sub++, k++) {
        long serial = first + sub;
        int at = k * pageSize;
        out[at] = (int) serial;
        if (pageSize > 1 && at + 1 < length) {
          out[at + 1] = (int) (serial >>> 32);
        } else if (pageSize == 1 && (serial >>> 32) != 0) {
          throw new IllegalArgumentException("line " + r.line() + ": hash id " + r.hashId(b)
              + " is too large to give distinct one-token pages");
        }
        if (serials != null && k < full) serials[k] = serial;
      }
    }
  }

  /**
   * The serials of the record's full pages ({@code inputLength / pageSize} of them), as {@link
   * #fill} writes them: {@code hash_id × (B/P) + sub-page}. With the page size they determine every
   * full page's tokens, and different serials give different pages ({@link SerialPageKeys}).
   */
  public static long[] serials(TraceRecord r, int pageSize, int blockSize) {
    int perBlock = blockSize / pageSize;
    long[] out = new long[r.inputLength() / pageSize];
    for (int k = 0; k < out.length; k++) out[k] = r.hashId(k / perBlock) * perBlock + k % perBlock;
    return out;
  }
}
