package dev.hicache.core.engine;

import dev.hicache.api.spi.HostPool;

/** An L2 pool whose bytes the engine's contract suites can corrupt at rest, as a stray write or a use-after-free would. */
public interface CorruptibleHostPool extends HostPool {
  /** Flips one byte of host page {@code page}, at a position derived from {@code salt}. */
  void flipByte(int page, long salt);
}
