package dev.hicache.l1;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;

/**
 * What the engine contract suites' pool doubles and tests (CudaKeyedDevicePoolDouble,
 * EngineOnCudaPoolPropertyTest) use: the GPU assumption (skip with the reason printed) and a plain synchronous copy of
 * the whole device buffer, independent of the transfer paths under test.
 */
public final class CudaPoolTestAccess {
  private CudaPoolTestAccess() {}

  /** Skips the calling test where CUDA is not ready, printing why once. */
  public static void assumeGpu() {
    GpuAssumptions.assumeGpu();
  }

  /** Whether CUDA is ready here. */
  public static boolean gpuReady() {
    return CudaRuntime.status().ready();
  }

  /** cudaMemcpy of the whole device buffer into {@code dst} (after both of the pool's streams drain). */
  public static void download(CudaDevicePool pool, MemorySegment dst) {
    pool.download(dst);
  }
}
