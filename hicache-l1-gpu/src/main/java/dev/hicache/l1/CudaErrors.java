package dev.hicache.l1;

import java.util.Map;

/**
 * Names of CUDA's error codes. The native library answers once it is loaded; the table covers
 * the codes that matter when it is not (status reports on machines without a GPU).
 */
final class CudaErrors {
  private CudaErrors() {}

  private static final Map<Integer, String> KNOWN = Map.ofEntries(
      Map.entry(0, "cudaSuccess"),
      Map.entry(1, "cudaErrorInvalidValue"),
      Map.entry(2, "cudaErrorMemoryAllocation"),
      Map.entry(3, "cudaErrorInitializationError"),
      Map.entry(4, "cudaErrorCudartUnloading"),
      Map.entry(34, "cudaErrorStubLibrary"),
      Map.entry(35, "cudaErrorInsufficientDriver"),
      Map.entry(36, "cudaErrorCallRequiresNewerDriver"),
      Map.entry(46, "cudaErrorDevicesUnavailable"),
      Map.entry(100, "cudaErrorNoDevice"),
      Map.entry(101, "cudaErrorInvalidDevice"),
      Map.entry(209, "cudaErrorNoKernelImageForDevice"),
      Map.entry(222, "cudaErrorUnsupportedPtxVersion"),
      Map.entry(304, "cudaErrorOperatingSystem"),
      Map.entry(600, "cudaErrorNotReady"),
      Map.entry(700, "cudaErrorIllegalAddress"),
      Map.entry(712, "cudaErrorHostMemoryAlreadyRegistered"),
      Map.entry(713, "cudaErrorHostMemoryNotRegistered"),
      Map.entry(801, "cudaErrorNotSupported"),
      Map.entry(999, "cudaErrorUnknown"));

  static String name(int code) {
    if (code == -1) return "libcuda.so.1 not found";
    if (CudaRuntime.libraryLoaded()) {
      try {
        return CudaNative.errorName(code);
      } catch (UnsatisfiedLinkError e) {
        // fall through to the table
      }
    }
    return KNOWN.getOrDefault(code, "cudaError " + code);
  }

  static String describe(int code) {
    String name = name(code);
    if (CudaRuntime.libraryLoaded() && code > 0) {
      try {
        return name + " (" + code + "): " + CudaNative.errorString(code);
      } catch (UnsatisfiedLinkError e) {
        // fall through
      }
    }
    return name + " (" + code + ")";
  }
}
