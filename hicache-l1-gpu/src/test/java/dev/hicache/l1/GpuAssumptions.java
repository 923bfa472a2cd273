package dev.hicache.l1;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** GPU tests run where CUDA is ready and skip elsewhere, printing why. */
final class GpuAssumptions {
  private GpuAssumptions() {}

  private static final java.util.concurrent.atomic.AtomicBoolean TOLD = new java.util.concurrent.atomic.AtomicBoolean();

  static void assumeGpu() {
    CudaStatus s = CudaRuntime.status();
    if (!s.ready() && TOLD.compareAndSet(false, true)) System.out.println("[hicache-l1-gpu] skipping GPU tests: " + s);
    assumeTrue(s.ready(), () -> "no GPU here: " + s);
  }
}
