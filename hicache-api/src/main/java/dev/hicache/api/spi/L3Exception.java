package dev.hicache.api.spi;

/**
 * A typed L3 failure (docs/behaviour.md#l3-faults): the IO loop catches it per operation and counts
 * it by cause; it costs hit ratio, never a request.
 */
public class L3Exception extends RuntimeException {
  /** Why an L3 call failed. */
  public enum Cause {
    /** The store cannot be reached (master down, segment lost, library missing). */
    UNAVAILABLE,
    /** The call did not finish in time. */
    TIMEOUT,
    /** No space left for new pages. */
    FULL,
    /** Bytes read back did not verify. */
    CORRUPT,
    /** The caller passed something the store cannot accept. */
    INVALID_ARGUMENT,
    /** The backend failed in a way it could not classify (e.g. Mooncake's ambiguous -1). */
    INTERNAL
  }

  private final Cause cause;

  public L3Exception(Cause cause, String message) {
    super(message);
    this.cause = cause;
  }

  public L3Exception(Cause cause, String message, Throwable source) {
    super(message, source);
    this.cause = cause;
  }

  public Cause reason() {
    return cause;
  }
}
