package dev.hicache.l1;

/** A CUDA call failed: carries the cudaError code, its name and the call that returned it. */
public final class CudaException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int code;
  private final String call;

  /** Called from the native library. */
  CudaException(int code, String call) {
    super(call + " failed: " + CudaErrors.describe(code));
    this.code = code;
    this.call = call;
  }

  /** The cudaError_t value. */
  public int code() {
    return code;
  }

  /** CUDA's name for the code, e.g. cudaErrorMemoryAllocation. */
  public String errorName() {
    return CudaErrors.name(code);
  }

  /** The CUDA call that failed. */
  public String call() {
    return call;
  }
}
