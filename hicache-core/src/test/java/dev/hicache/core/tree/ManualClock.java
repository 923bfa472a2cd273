package dev.hicache.core.tree;

import dev.hicache.api.spi.Clock;

/** Test double: a clock that moves only when the test says so. */
final class ManualClock implements Clock {
  long now = 1;

  @Override public long nanos() {
    return now;
  }

  void advance() {
    now++;
  }
}
