package dev.hicache.api.spi;

/**
 * Monotonic time handed to the core, which never reads a clock of its own: the production shell
 * passes {@link #system()}, the simulator and the property tests pass virtual time.
 */
@FunctionalInterface
public interface Clock {
  /** Monotonic nanoseconds; only differences are meaningful. */
  long nanos();

  static Clock system() {
    return System::nanoTime;
  }
}
