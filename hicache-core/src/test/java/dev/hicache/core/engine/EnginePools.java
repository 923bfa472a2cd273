package dev.hicache.core.engine;

import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import java.util.concurrent.Executor;

/**
 * The pools the engine's contract suites run on: {@link #hostMemory()} (hicache-core's CPU pools)
 * here, a device-pool module's own in its subclass of {@link EngineContract} or {@link
 * ProductionShellContract} (hicache-l1-gpu: CudaDevicePool and CUDA-registered host memory).
 */
public interface EnginePools {
  /** An L1 pool of {@code tokens}; {@code copies} runs its asynchronous copies where the pool has no engine of its own (null: the pool's default). */
  KeyedDevicePool device(KvShape shape, int tokens, Executor copies);

  CorruptibleHostPool host(KvShape shape, MemLayout layout, int tokens);

  /** hicache-core's pools: HostMemoryDevicePool and OffHeapHostPool. */
  static EnginePools hostMemory() {
    return new EnginePools() {
      @Override public KeyedDevicePool device(KvShape shape, int tokens, Executor copies) {
        return new KeyedDevicePoolDouble(shape, tokens, copies);
      }

      @Override public CorruptibleHostPool host(KvShape shape, MemLayout layout, int tokens) {
        return new CorruptibleHostPoolDouble(shape, layout, tokens);
      }

      @Override public String toString() { return "host memory"; }
    };
  }
}
