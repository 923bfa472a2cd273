package dev.hicache.l2.pool;

import dev.hicache.api.spi.MemoryRegistrar;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A test double for {@link MemoryRegistrar} (the CUDA and Mooncake registrars live in other
 * modules): records what it registered, proves at close that the memory is still mapped, and can
 * be told to fail.
 */
final class MemoryRegistrarDouble implements MemoryRegistrar {
  private final String name;
  private final List<String> events;
  boolean failOnRegister;
  boolean failOnClose;
  final List<Reg> registrations = new ArrayList<>();

  MemoryRegistrarDouble(String name, List<String> events) {
    this.name = name;
    this.events = events;
  }

  @Override public String name() {
    return name;
  }

  @Override public Registration register(MemorySegment segment) {
    if (failOnRegister) throw new IllegalStateException(name + " refused (test double)");
    Reg r = new Reg(segment);
    registrations.add(r);
    events.add(name + " register " + segment.byteSize());
    return r;
  }

  final class Reg implements Registration {
    final MemorySegment segment;
    int closes;
    boolean memoryMappedAtClose;

    Reg(MemorySegment segment) {
      this.segment = segment;
    }

    @Override public MemorySegment segment() {
      return segment;
    }

    @Override public void close() {
      closes++;
      // A real registrar unregisters before the pool unmaps; touching the memory here would
      // throw IllegalStateException if the order were wrong.
      segment.get(ValueLayout.JAVA_BYTE, 0);
      segment.get(ValueLayout.JAVA_BYTE, segment.byteSize() - 1);
      memoryMappedAtClose = true;
      events.add(name + " close");
      if (failOnClose) throw new IllegalStateException(name + " failed to unregister (test double)");
    }
  }
}
