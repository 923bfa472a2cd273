package dev.hicache.simulator.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A longer trace of the same shape as a Mooncake trace: its requests {@code copies} times over, one
 * copy after another in time (each copy starts one gap after the previous copy's last arrival), so
 * a one-hour conversation trace becomes a ten-hour one at the same load
 * (docs/simulator.md#a-longer-trace). Each copy is a new population of conversations: every block
 * id except the first block's shared one ({@code 0} in the FAST'25 traces: the common system
 * prompt every request starts with) is moved to a range of its own, {@code id + k × maxId} for copy
 * {@code k}, so copies share nothing but that prefix and the ids stay dense. Deterministic: the
 * same input and count give the same bytes.
 *
 * <p>Two passes over the input (its largest id and time span first), constant memory.
 * {@code java -cp ... dev.hicache.simulator.trace.TraceTiler IN OUT COPIES}.
 */
public final class TraceTiler {
  private TraceTiler() {}

  /** What a tiling wrote. */
  public record Tiled(long requests, long pageReferences) {}

  /**
   * Writes {@code copies} copies of {@code in} to {@code out} (through a temporary file beside it,
   * moved into place at the end: a failure leaves no half-written trace).
   *
   * @param pageSize page size in tokens, to count the page references written (full pages)
   */
  public static Tiled tile(Path in, Path out, int copies, int pageSize) throws IOException {
    if (copies < 1) throw new IllegalArgumentException("copies must be >= 1, got " + copies);
    if (pageSize < 1) throw new IllegalArgumentException("page size must be >= 1, got " + pageSize);
    long maxId = 0, lastTimestamp = 0, minGap = Long.MAX_VALUE, previous = -1;
    TraceRecord r = new TraceRecord();
    try (MooncakeTraceReader reader = MooncakeTraceReader.open(in)) {
      while (reader.next(r)) {
        for (int i = 0; i < r.hashIdCount(); i++) maxId = Math.max(maxId, r.hashId(i));
        if (previous >= 0 && r.timestamp() > previous) minGap = Math.min(minGap, r.timestamp() - previous);
        previous = r.timestamp();
        lastTimestamp = Math.max(lastTimestamp, r.timestamp());
      }
    }
    // The next copy begins one (smallest) gap after the last arrival, as if the trace went on.
    long period = lastTimestamp + (minGap == Long.MAX_VALUE ? 1 : minGap);
    Path tmp = out.resolveSibling(out.getFileName() + ".part");
    long requests = 0, pages = 0;
    try {
      try (Writer w = new BufferedWriter(Files.newBufferedWriter(tmp, StandardCharsets.UTF_8), 1 << 16)) {
        StringBuilder line = new StringBuilder(4096);
        for (int k = 0; k < copies; k++) {
          long idShift = k * maxId, timeShift = k * period;
          try (MooncakeTraceReader reader = MooncakeTraceReader.open(in)) {
            while (reader.next(r)) {
              line.setLength(0);
              line.append("{\"timestamp\": ").append(r.timestamp() + timeShift)
                  .append(", \"input_length\": ").append(r.inputLength())
                  .append(", \"output_length\": ").append(r.outputLength())
                  .append(", \"hash_ids\": [");
              for (int i = 0; i < r.hashIdCount(); i++) {
                long id = r.hashId(i);
                if (i > 0) line.append(", ");
                line.append(id == 0 ? 0 : id + idShift);
              }
              line.append("]}\n");
              w.append(line);
              requests++;
              pages += r.inputLength() / pageSize;
            }
          }
        }
      }
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return new Tiled(requests, pages);
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: TraceTiler IN OUT COPIES (a Mooncake trace COPIES times over, one copy after another)");
      System.exit(2);
    }
    int copies;
    try {
      copies = Integer.parseInt(args[2]);
    } catch (NumberFormatException e) {
      System.err.println("TraceTiler: COPIES must be a whole number, got '" + args[2] + "'");
      System.exit(2);
      return;
    }
    Tiled t = tile(Path.of(args[0]), Path.of(args[1]), copies, 64);
    System.out.println(args[1] + ": " + t.requests() + " requests, " + t.pageReferences() + " page references at 64-token pages");
  }
}
