package dev.hicache.l1;

/**
 * What loading the CUDA library found, reported instead of crashing on a machine without a GPU.
 *
 * @param state the verdict
 * @param detail one line for a human: what was found and what to do
 * @param cudaError the cudaError of the device query (0 when it succeeded, -1 when it never ran)
 * @param deviceCount CUDA devices visible
 * @param driverVersion the driver's CUDA version (e.g. 13000), 0 when there is no driver
 * @param runtimeVersion the statically linked runtime's version
 * @param device device 0's name and properties, or "" when there is none
 * @param multiprocessors device 0's SM count, 0 when there is none
 * @param maxPitch the largest row pitch of a 2-D copy on device 0
 */
public record CudaStatus(State state, String detail, int cudaError, int deviceCount, int driverVersion,
    int runtimeVersion, String device, int multiprocessors, long maxPitch) {

  /** The verdicts, in the order a loader meets them. */
  public enum State {
    /** The jar holds no native library: it was built without nvcc, or for another platform. */
    LIBRARY_MISSING,
    /** The native library is there but could not be loaded (System.load failed). */
    LIBRARY_LOAD_FAILED,
    /** No usable driver: libcuda.so.1 is absent, or older than the runtime. */
    NO_DRIVER,
    /** A driver, but no CUDA device. */
    NO_DEVICE,
    /** The device query failed for another reason (see cudaError). */
    CUDA_ERROR,
    /** Ready: device 0 can be used. */
    READY
  }

  public boolean ready() {
    return state == State.READY;
  }

  /** The cudaError's name, e.g. cudaErrorNoDevice. */
  public String cudaErrorName() {
    return CudaErrors.name(cudaError);
  }

  @Override public String toString() {
    return state + ": " + detail;
  }
}
