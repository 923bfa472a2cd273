package dev.hicache.l1;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads {@code libhicache_cuda.so} once (from {@code -Dhicache.cuda.library=PATH}, else from the
 * jar's {@code /native/linux-x86_64/}, extracted to a temporary file) and probes the driver and
 * device. Never throws and never crashes the JVM: a machine without the library, the driver or a
 * GPU gets a {@link CudaStatus} that says which.
 */
public final class CudaRuntime {
  /** Where the build puts the library inside the jar. */
  public static final String RESOURCE = "/native/linux-x86_64/libhicache_cuda.so";

  private static volatile boolean loaded;
  private static final CudaStatus STATUS = load();

  private CudaRuntime() {}

  /** The load verdict, computed once. */
  public static CudaStatus status() {
    return STATUS;
  }

  /** Whether the native library is loaded (it may still have found no driver or device). */
  public static boolean libraryLoaded() {
    return loaded;
  }

  /** Whether this jar carries the native library (it was built with nvcc). */
  public static boolean libraryBundled() {
    return CudaRuntime.class.getResource(RESOURCE) != null;
  }

  /** Throws {@link IllegalStateException} naming the status unless CUDA is ready. */
  public static CudaStatus requireReady() {
    if (!STATUS.ready()) {
      throw new IllegalStateException("CUDA is not available: " + STATUS);
    }
    return STATUS;
  }

  // System.load is a restricted method: run with --enable-native-access=ALL-UNNAMED (the build's
  // tests and bundle/run.sh do) or the JVM warns once.
  @SuppressWarnings("restricted")
  private static CudaStatus load() {
    String override = System.getProperty("hicache.cuda.library");
    Path lib;
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    try {
      if (override != null && !override.isBlank()) {
        lib = Path.of(override);
        if (!Files.isRegularFile(lib)) {
          return missing("-Dhicache.cuda.library=" + override + ": no such file");
        }
      } else {
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
          return missing("no native library for " + os + "/" + arch + " (only linux-x86_64 is built)");
        }
        try (InputStream in = CudaRuntime.class.getResourceAsStream(RESOURCE)) {
          if (in == null) {
            return missing("this build of hicache-l1-gpu has no native library (" + RESOURCE
                + " is not on the class path): it was built where nvcc was absent; rebuild with "
                + "/usr/local/cuda/bin/nvcc present or with -Pcuda-native (NVCC=/path/to/nvcc)");
          }
          lib = Files.createTempFile("libhicache_cuda", ".so");
          lib.toFile().deleteOnExit();
          Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      return new CudaStatus(CudaStatus.State.LIBRARY_LOAD_FAILED, "could not extract " + RESOURCE + ": " + e,
          -1, 0, 0, 0, "", 0, 0);
    }
    try {
      System.load(lib.toAbsolutePath().toString());
    } catch (UnsatisfiedLinkError e) {
      return new CudaStatus(CudaStatus.State.LIBRARY_LOAD_FAILED, "System.load(" + lib + ") failed: "
          + e.getMessage(), -1, 0, 0, 0, "", 0, 0);
    }
    loaded = true;
    long[] info = new long[7];
    int err;
    try {
      err = CudaNative.probe(info);
    } catch (UnsatisfiedLinkError e) {
      loaded = false;
      return new CudaStatus(CudaStatus.State.LIBRARY_LOAD_FAILED, "the native library lacks its entry points: "
          + e.getMessage(), -1, 0, 0, 0, "", 0, 0);
    }
    int count = (int) info[0];
    int driver = (int) info[1];
    int runtime = (int) info[2];
    if (err == -1) {
      return new CudaStatus(CudaStatus.State.NO_DRIVER, "no NVIDIA driver: libcuda.so.1 could not be loaded "
          + "(runtime " + version(runtime) + " linked statically)", -1, 0, 0, runtime, "", 0, 0);
    }
    if (err == CudaNative.CUDA_ERROR_INSUFFICIENT_DRIVER) {
      return new CudaStatus(CudaStatus.State.NO_DRIVER, "the NVIDIA driver (CUDA " + version(driver)
          + ") is older than the runtime (" + version(runtime) + "): cudaErrorInsufficientDriver", err, 0, driver,
          runtime, "", 0, 0);
    }
    if (err == CudaNative.CUDA_ERROR_NO_DEVICE || (err == 0 && count == 0)) {
      return new CudaStatus(CudaStatus.State.NO_DEVICE, "driver CUDA " + version(driver)
          + " found, but no CUDA device: " + CudaErrors.name(err), err, 0, driver, runtime, "", 0, 0);
    }
    if (err != 0) {
      return new CudaStatus(CudaStatus.State.CUDA_ERROR, "cudaGetDeviceCount failed: " + CudaErrors.describe(err),
          err, 0, driver, runtime, "", 0, 0);
    }
    String name;
    try {
      name = CudaNative.deviceName(0);
    } catch (CudaException e) {
      return new CudaStatus(CudaStatus.State.CUDA_ERROR, e.getMessage(), e.code(), count, driver, runtime, "", 0, 0);
    }
    return new CudaStatus(CudaStatus.State.READY, count + " device(s); device 0: " + name + "; driver CUDA "
        + version(driver) + ", runtime " + version(runtime), 0, count, driver, runtime, name, (int) info[4], info[5]);
  }

  private static CudaStatus missing(String why) {
    return new CudaStatus(CudaStatus.State.LIBRARY_MISSING, why, -1, 0, 0, 0, "", 0, 0);
  }

  private static String version(int v) {
    return v == 0 ? "none" : (v / 1000) + "." + (v % 1000) / 10;
  }
}
