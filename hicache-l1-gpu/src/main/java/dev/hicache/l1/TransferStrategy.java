package dev.hicache.l1;

/**
 * How a transfer moves bytes. {@code --hicache-io-backend direct} uses {@link #COPY} and
 * {@link #COPY_2D}; {@code kernel} uses {@link #ZERO_COPY_KERNEL} and {@link #STAGED_KERNEL}
 * and, where they are faster for the host layout, the copy-engine ones (see {@link
 * CudaDevicePool#strategyFor}). Each can be forced, for tests and benchmarks.
 */
public enum TransferStrategy {
  /**
   * Copy-engine copies of contiguous runs (one per part, layer and page; neighbours merged), one
   * cudaMemcpyBatchAsync per layer; runs that are strided on the host (page_first) as 2-D copies.
   */
  COPY,
  /**
   * Like {@link #COPY}, but all layers of a (part, page) in one 2-D copy (cudaMemcpy2DAsync): 32×
   * fewer copies for whole-page transfers.
   */
  COPY_2D,
  /**
   * Like {@link #COPY_2D}, but both parts (K and V) of a page in one 3-D copy (cudaMemcpy3DAsync)
   * where both sides place the parts a whole number of layer strides apart: half the copies again.
   * Falls back to {@link #COPY_2D} where they do not.
   */
  COPY_3D,
  /**
   * Whole pages through the device staging ring like {@link #STAGED_KERNEL}, but the relayout in
   * device memory is done by the copy engine (2-D device-to-device copies of page-size runs), so
   * no kernel runs: the host side moves as a few large contiguous copies. Needs a host layout whose
   * (part, layer, page) runs are contiguous and whose page blocks are (page_first_direct);
   * otherwise falls back to {@link #COPY_2D}.
   */
  STAGED_COPY,
  /**
   * The gather/scatter kernel reading or writing pinned host memory directly over PCIe (zero copy):
   * one warp per item, 16-byte accesses, items in host address order.
   */
  ZERO_COPY_KERNEL,
  /**
   * Whole pages: the copy engine moves each (part, page) block, contiguous on the host, through a
   * device staging ring, and the gather/scatter kernel converts layouts in device memory,
   * overlapping the next chunk's copy. Needs a host layout whose page blocks are contiguous
   * (page_first, page_first_direct); otherwise falls back to {@link #ZERO_COPY_KERNEL}.
   */
  STAGED_KERNEL
}
