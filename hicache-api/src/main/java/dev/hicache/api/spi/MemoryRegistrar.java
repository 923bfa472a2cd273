package dev.hicache.api.spi;

import java.lang.foreign.MemorySegment;

/**
 * Pins or registers host memory with a consumer that will DMA into it: CUDA ({@code
 * cudaHostRegister}) for the device, Mooncake's {@code register_buffer} for zero-copy L3. The host
 * pool calls every registrar it is given, so the host module depends on neither.
 */
public interface MemoryRegistrar {
  /** Who registers: "cuda", "mooncake", ... */
  String name();

  /** Registers the whole segment; the registration must be closed before the memory is freed. */
  Registration register(MemorySegment segment);

  /** One registration; close is idempotent. */
  interface Registration extends AutoCloseable {
    MemorySegment segment();

    @Override void close();
  }
}
