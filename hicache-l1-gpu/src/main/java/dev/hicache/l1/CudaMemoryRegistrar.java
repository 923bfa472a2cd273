package dev.hicache.l1;

import dev.hicache.api.spi.MemoryRegistrar;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pins host memory for the GPU ({@code cudaHostRegister}, portable and mapped), so that the copy
 * engines DMA into it and the transfer kernels read and write it directly (zero copy). The L2 host
 * pool calls this for its whole buffer; the registration must be closed before the memory is
 * freed ({@code cudaHostUnregister}).
 */
public final class CudaMemoryRegistrar implements MemoryRegistrar {
  private final AtomicLong registeredBytes = new AtomicLong();

  @Override public String name() {
    return "cuda";
  }

  /** Bytes registered now through this registrar. */
  public long registeredBytes() {
    return registeredBytes.get();
  }

  @Override public Registration register(MemorySegment segment) {
    CudaRuntime.requireReady();
    if (!segment.isNative()) throw new IllegalArgumentException("only native segments can be pinned: " + segment);
    if (segment.byteSize() == 0) throw new IllegalArgumentException("cannot register an empty segment");
    CudaNative.hostRegister(segment.address(), segment.byteSize());
    registeredBytes.addAndGet(segment.byteSize());
    return new CudaRegistration(segment);
  }

  private final class CudaRegistration implements Registration {
    private final MemorySegment segment;
    private final AtomicBoolean closed = new AtomicBoolean();

    CudaRegistration(MemorySegment segment) {
      this.segment = segment;
    }

    @Override public MemorySegment segment() {
      return segment;
    }

    @Override public void close() {
      if (closed.compareAndSet(false, true)) {
        registeredBytes.addAndGet(-segment.byteSize());
        CudaNative.hostUnregister(segment.address());
      }
    }
  }
}
