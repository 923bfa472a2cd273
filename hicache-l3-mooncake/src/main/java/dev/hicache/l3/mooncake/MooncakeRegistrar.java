package dev.hicache.l3.mooncake;

import dev.hicache.api.spi.MemoryRegistrar;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Registers host memory with a Mooncake store ({@code register_buffer}) so that zero-copy reads and
 * writes may use it: the L2 host pool registers its whole buffer once at start-up
 * (docs/behaviour.md#registered-memory, SGLang's {@code register_mem_pool_host}).
 */
public final class MooncakeRegistrar implements MemoryRegistrar {
  private final MooncakeStore store;

  public MooncakeRegistrar(MooncakeStore store) {
    this.store = store;
  }

  @Override public String name() {
    return "mooncake";
  }

  /** Registers {@code segment} (native, non-empty, overlapping no registered region). */
  @Override public Registration register(MemorySegment segment) {
    store.registerBuffer(segment);
    return new Registration() {
      private final AtomicBoolean closed = new AtomicBoolean();

      @Override public MemorySegment segment() {
        return segment;
      }

      /** Unregisters once, after calls in flight on the store have finished. */
      @Override public void close() {
        if (closed.compareAndSet(false, true)) {
          try {
            store.unregisterBuffer(segment);
          } catch (MooncakeException.NullHandle storeClosed) {
            // Destroying the store already released every registration.
          }
        }
      }
    };
  }
}
