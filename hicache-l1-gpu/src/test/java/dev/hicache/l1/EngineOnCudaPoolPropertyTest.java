package dev.hicache.l1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.core.engine.EngineContract;
import dev.hicache.core.engine.EnginePools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The engine's property tests ({@link EngineContract}'s, inherited unchanged: generated
 * request streams and completion orders, every write and eviction policy and host layout, failed
 * load-backs, corrupted host pages, L3) on the real device pool ({@link CudaEnginePools}): {@link CudaKeyedDevicePoolDouble} is backed by a
 * {@code CudaDevicePool} in GPU memory and {@link PinnedCorruptibleHostPoolDouble} by CUDA-registered host memory, so every backup and load-back is a
 * real CUDA transfer and every served page is read back from the GPU and checked byte for byte
 * against its key. Where no GPU exists the class skips, printing why.
 */
class EngineOnCudaPoolPropertyTest extends EngineContract {
  private static long direct0, kernel0, verified0;

  @BeforeAll static void gpu() {
    CudaPoolTestAccess.assumeGpu();
    direct0 = CudaKeyedDevicePoolDouble.DIRECT_TRANSFERS.get();
    kernel0 = CudaKeyedDevicePoolDouble.KERNEL_TRANSFERS.get();
    verified0 = CudaKeyedDevicePoolDouble.PAGES_VERIFIED.get();
  }

  /** The properties did run on the GPU twins, through both io backends. */
  @AfterAll static void ranOnCudaThroughBothBackends() {
    if (!CudaPoolTestAccess.gpuReady()) return;
    long direct = CudaKeyedDevicePoolDouble.DIRECT_TRANSFERS.get() - direct0;
    long kernel = CudaKeyedDevicePoolDouble.KERNEL_TRANSFERS.get() - kernel0;
    long verified = CudaKeyedDevicePoolDouble.PAGES_VERIFIED.get() - verified0;
    System.out.printf("engine properties on CudaDevicePool: %d direct + %d kernel transfers, %d served pages read back from the GPU%n",
        direct, kernel, verified);
    assertThat(direct).isPositive();
    assertThat(kernel).isPositive();
    assertThat(verified).isPositive();
  }

  @Override protected EnginePools pools() {
    return CudaEnginePools.INSTANCE;
  }
}
