package dev.hicache.l1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.core.engine.ProductionShellContract;
import dev.hicache.core.engine.EnginePools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The production shell's stress test ({@link ProductionShellContract}'s, inherited unchanged:
 * the scheduler thread keeps several requests live while three I/O threads run copies, with and
 * without L3 on its own threads) on the real device pool: the copies are CUDA transfers on the
 * pool's streams, loads complete layer by layer on CUDA events, and every served page is read back
 * from GPU memory and checked against its key. Skips where no GPU exists, printing why.
 */
class ProductionShellOnCudaPoolStressTest extends ProductionShellContract {
  private static long transfers0, verified0;

  @BeforeAll static void gpu() {
    CudaPoolTestAccess.assumeGpu();
    transfers0 = CudaKeyedDevicePoolDouble.DIRECT_TRANSFERS.get() + CudaKeyedDevicePoolDouble.KERNEL_TRANSFERS.get();
    verified0 = CudaKeyedDevicePoolDouble.PAGES_VERIFIED.get();
  }

  @AfterAll static void ranOnCuda() {
    if (!CudaPoolTestAccess.gpuReady()) return;
    long transfers = CudaKeyedDevicePoolDouble.DIRECT_TRANSFERS.get() + CudaKeyedDevicePoolDouble.KERNEL_TRANSFERS.get() - transfers0;
    long verified = CudaKeyedDevicePoolDouble.PAGES_VERIFIED.get() - verified0;
    System.out.printf("production shell on CudaDevicePool: %d CUDA transfers, %d served pages read back from the GPU%n",
        transfers, verified);
    assertThat(transfers).isPositive();
    assertThat(verified).isPositive();
  }

  @Override protected EnginePools pools() {
    return CudaEnginePools.INSTANCE;
  }
}
