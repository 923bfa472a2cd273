package dev.hicache.core.engine;

/**
 * A request asks for more device pages than the whole device pool holds: unlike {@link
 * HiCache#extend} returning false (no room now; poll and retry), waiting never helps.
 */
public final class NeverFitsException extends IllegalArgumentException {
  public NeverFitsException(String message) {
    super(message);
  }
}
