package dev.hicache.l1;

/**
 * The JNI entry points of {@code libhicache_cuda.so} (src/main/native/hicache_cuda.cu). Handles
 * (pointers, streams, events) are raw addresses; the classes of this package own them. A failing
 * CUDA call throws {@link CudaException}. Call only after {@link CudaRuntime#requireReady()}.
 */
final class CudaNative {
  private CudaNative() {}

  /** Returns the cudaError of cudaGetDeviceCount, or -1 when libcuda.so.1 cannot be loaded. */
  static native int probe(long[] out);

  static native String errorName(int code);

  static native String errorString(int code);

  static native String deviceName(int device);

  static native void setDevice(int device);

  static native long malloc(long bytes);

  static native void free(long ptr);

  static native void memset(long ptr, int value, long bytes);

  static native void memcpy(long dst, long src, long bytes);

  static native void memcpyAsync(long dst, long src, long bytes, long stream);

  static native void hostRegister(long ptr, long bytes);

  static native void hostUnregister(long ptr);

  static native long hostDevicePointer(long ptr);

  static native long streamCreate();

  static native void streamDestroy(long stream);

  static native void streamSynchronize(long stream);

  static native long eventCreate();

  static native void eventDestroy(long event);

  /** An event that records a timestamp (for measuring device time; transfers use {@link #eventCreate}). */
  static native long eventCreateTimed();

  /** Milliseconds between two completed timed events. */
  static native float eventElapsedMillis(long start, long end);

  static native void eventRecord(long event, long stream);

  /** cudaEventQuery's error code: 0 done, 600 pending, anything else a failure. */
  static native int eventQuery(long event);

  static native void eventSynchronize(long event);

  /** {@code runs}: (dstOffset, srcOffset, bytes) triples. */
  static native void copyRuns(long dstBase, long srcBase, long[] runs, int n, boolean batch, long stream);

  /** {@code runs}: (dstOffset, dstPitch, srcOffset, srcPitch, widthBytes, height) sextuples. */
  static native void copyRuns2D(long dstBase, long srcBase, long[] runs, int n, long stream);

  /**
   * {@code runs}: (dstOffset, dstPitch, dstRows, srcOffset, srcPitch, srcRows, widthBytes, height, depth) 9-tuples;
   * slice k of a side starts {@code k * pitch * rows} bytes after its offset.
   */
  static native void copyRuns3D(long dstBase, long srcBase, long[] runs, int n, long stream);

  static native void kernelCopy(long dstBase, long[] dstStrides, long srcBase, long[] srcStrides, int[] dstPages,
      int[] srcPages, int n, int parts, int layer0, int nLayers, int pageSize, long itemBytes, boolean tokInner,
      long stream);

  static native void stagedCopy(boolean toDevice, long devBase, long[] devStrides, long hostBase, long[] hostStrides,
      int[] devPages, int[] hostPages, int n, int parts, int layers, int pageSize, long itemBytes, long staging,
      long stagingBytes, int slots, long mainStream, long auxStream, long[] events, boolean copyEngine);

  static native int maxPagesPerLaunch();

  /** Blocks per SM of the gather/scatter kernel's grid (default 4); returns the previous value. */
  static native int setBlocksPerSm(int blocks);

  /** 16-byte loads in flight per lane of the gather/scatter kernel (4 or 8); returns the previous value. */
  static native int setUnroll(int loads);

  static final int CUDA_SUCCESS = 0;
  static final int CUDA_ERROR_NOT_READY = 600;
  static final int CUDA_ERROR_INSUFFICIENT_DRIVER = 35;
  static final int CUDA_ERROR_NO_DEVICE = 100;
}
