package dev.hicache.l1;

import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.core.engine.CorruptibleHostPool;
import dev.hicache.core.engine.EnginePools;
import dev.hicache.core.engine.KeyedDevicePool;
import java.util.concurrent.Executor;

/** The pools hicache-core's engine contract suites run on in this module: CudaDevicePool and CUDA-registered host memory. */
enum CudaEnginePools implements EnginePools {
  INSTANCE;

  @Override public KeyedDevicePool device(KvShape shape, int tokens, Executor copies) {
    return new CudaKeyedDevicePoolDouble(shape, tokens, copies);
  }

  @Override public CorruptibleHostPool host(KvShape shape, MemLayout layout, int tokens) {
    return new PinnedCorruptibleHostPoolDouble(shape, layout, tokens);
  }
}
