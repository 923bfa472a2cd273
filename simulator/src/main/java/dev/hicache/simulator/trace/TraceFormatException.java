package dev.hicache.simulator.trace;

/**
 * A trace that is not what its format promises. The message reads {@code FILE:LINE: what was
 * wrong}, so a user can open the file at the line.
 */
public final class TraceFormatException extends RuntimeException {
  private final String source;
  private final long line;
  private final String problem;

  public TraceFormatException(String source, long line, String problem) {
    super(line > 0 ? source + ":" + line + ": " + problem : source + ": " + problem);
    this.source = source;
    this.line = line;
    this.problem = problem;
  }

  /** The file name (or other source name) given to the reader. */
  public String source() {
    return source;
  }

  /** The 1-based line number. */
  public long line() {
    return line;
  }

  /** What was wrong, without the location. */
  public String problem() {
    return problem;
  }
}
