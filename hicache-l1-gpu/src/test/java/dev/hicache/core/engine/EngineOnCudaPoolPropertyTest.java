package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.l1.CudaPoolTestAccess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The engine's property tests ({@link CacheControllerPropertyTest}'s, inherited unchanged: generated
 * request streams and completion orders, every write and eviction policy and host layout, failed
 * load-backs, corrupted host pages, L3) on the real device pool: {@link KeyedDevicePoolDouble} in
 * this module is backed by a {@code CudaDevicePool} in GPU memory and {@link
 * CorruptibleHostPoolDouble} by CUDA-registered host memory, so every backup and load-back is a
 * real CUDA transfer and every served page is read back from the GPU and checked byte for byte
 * against its key. Where no GPU exists the class skips, printing why.
 */
class EngineOnCudaPoolPropertyTest extends CacheControllerPropertyTest {
  private static long direct0, kernel0, verified0;

  @BeforeAll static void gpu() {
    CudaPoolTestAccess.assumeGpu();
    direct0 = KeyedDevicePoolDouble.DIRECT_TRANSFERS.get();
    kernel0 = KeyedDevicePoolDouble.KERNEL_TRANSFERS.get();
    verified0 = KeyedDevicePoolDouble.PAGES_VERIFIED.get();
  }

  /** The properties did run on the GPU twins, through both io backends (the class path put this module's doubles first). */
  @AfterAll static void ranOnCudaThroughBothBackends() {
    if (!CudaPoolTestAccess.gpuReady()) return;
    long direct = KeyedDevicePoolDouble.DIRECT_TRANSFERS.get() - direct0;
    long kernel = KeyedDevicePoolDouble.KERNEL_TRANSFERS.get() - kernel0;
    long verified = KeyedDevicePoolDouble.PAGES_VERIFIED.get() - verified0;
    System.out.printf("engine properties on CudaDevicePool: %d direct + %d kernel transfers, %d served pages read back from the GPU%n",
        direct, kernel, verified);
    assertThat(direct).isPositive();
    assertThat(kernel).isPositive();
    assertThat(verified).isPositive();
  }
}
