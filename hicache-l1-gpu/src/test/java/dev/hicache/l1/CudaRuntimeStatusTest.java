package dev.hicache.l1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.IoBackend;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Load-status reporting: runs on every machine, with or without the library, driver or GPU. */
class CudaRuntimeStatusTest {

  @Test
  void status_anyMachine_isReportedNotThrown() {
    CudaStatus s = CudaRuntime.status();
    System.out.println("[hicache-l1-gpu] CUDA status: " + s + " (library bundled: " + CudaRuntime.libraryBundled() + ")");
    assertThat(s).isNotNull();
    assertThat(s.detail()).isNotBlank();
    assertThat(s.cudaErrorName()).isNotBlank();
    if (s.ready()) {
      assertThat(s.deviceCount()).isPositive();
      assertThat(s.device()).isNotBlank();
      assertThat(s.multiprocessors()).isPositive();
    } else {
      assertThat(s.deviceCount()).isZero();
    }
  }

  @Test
  void status_nativeBuildRan_libraryIsBundledAndLoads() {
    boolean expected = Boolean.getBoolean("hicache.cuda.expectNative") && !Boolean.getBoolean("hicache.cuda.skip");
    if (expected) assertThat(CudaRuntime.libraryBundled()).as("the nvcc build ran, so the jar carries the library").isTrue();
    if (CudaRuntime.libraryBundled() && System.getProperty("hicache.cuda.library") == null) {
      assertThat(CudaRuntime.status().state())
          .isNotIn(CudaStatus.State.LIBRARY_MISSING, CudaStatus.State.LIBRARY_LOAD_FAILED);
      assertThat(CudaRuntime.libraryLoaded()).isTrue();
    } else {
      assertThat(CudaRuntime.status().state()).isEqualTo(CudaStatus.State.LIBRARY_MISSING);
    }
  }

  @Test
  void status_noDriverOrDevice_saysWhichInsteadOfCrashing() {
    boolean gpuNodes = Files.exists(Path.of("/dev/nvidia0")) || Files.exists(Path.of("/dev/nvidiactl"));
    CudaStatus s = CudaRuntime.status();
    if (!gpuNodes && CudaRuntime.libraryLoaded()) {
      assertThat(s.state()).isIn(CudaStatus.State.NO_DRIVER, CudaStatus.State.NO_DEVICE);
      if (s.state() == CudaStatus.State.NO_DEVICE) {
        assertThat(s.cudaErrorName()).isIn("cudaErrorNoDevice", "cudaSuccess", "cudaErrorInsufficientDriver");
      }
    }
  }

  @Test
  void devicePoolAndRegistrar_withoutGpu_throwIllegalStateNamingTheStatus() {
    CudaStatus s = CudaRuntime.status();
    if (s.ready()) return;  // covered by the GPU tests
    KvShape shape = KvShape.mha(2, 1, 64, DType.BF16, 16);
    assertThatThrownBy(() -> CudaDevicePool.create(shape, 64, IoBackend.KERNEL))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining(s.state().name());
    try (Arena arena = Arena.ofConfined()) {
      var seg = arena.allocate(4096);
      assertThatThrownBy(() -> new CudaMemoryRegistrar().register(seg))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("CUDA is not available");
    }
  }

  @Test
  void errorNames_knownCodes_areCudaNames() {
    assertThat(CudaErrors.name(100)).isEqualTo("cudaErrorNoDevice");
    assertThat(CudaErrors.name(35)).isEqualTo("cudaErrorInsufficientDriver");
    assertThat(CudaErrors.name(2)).isEqualTo("cudaErrorMemoryAllocation");
    assertThat(new CudaException(2, "cudaMalloc").getMessage()).contains("cudaMalloc", "cudaErrorMemoryAllocation");
  }
}
