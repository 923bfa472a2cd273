package dev.hicache.l1;

import java.util.Arrays;

/**
 * The copy-engine work of one transfer step: 1-D runs (dstOffset, srcOffset, bytes) and 2-D runs
 * (dstOffset, dstPitch, srcOffset, srcPitch, widthBytes, height), offsets relative to the two
 * buffers' bases. Built in Java (so it is unit-tested without a GPU) and executed by the native
 * library as cudaMemcpyBatchAsync / cudaMemcpy2DAsync.
 */
final class CopyPlan {
  long[] runs = new long[3 * 64];
  int n;
  long[] runs2d = new long[6 * 16];
  int n2d;

  /**
   * Plans copying pages {@code srcPages[i]} of {@code src} to {@code dstPages[i]} of {@code dst},
   * parts {@code 0..parts-1}, layers {@code layer0 .. layer0+nLayers-1}.
   *
   * @param layersIn2d fold all the layers of a (part, page) into one 2-D copy where both sides hold
   *     each (part, layer, page) contiguously
   */
  static CopyPlan plan(Strides dst, Strides src, int[] dstPages, int[] srcPages, int parts, int layer0, int nLayers,
      int pageSize, long item, boolean layersIn2d) {
    CopyPlan p = new CopyPlan();
    long run = pageSize * item;
    boolean contiguous = dst.pageRunContiguous(item, pageSize) && src.pageRunContiguous(item, pageSize);
    if (contiguous && layersIn2d && nLayers > 1 && dst.layer() >= run && src.layer() >= run) {
      for (int kv = 0; kv < parts; kv++) {
        for (int i = 0; i < dstPages.length; i++) {
          long d = kv * dst.kv() + layer0 * dst.layer() + dstPages[i] * dst.page();
          long s = kv * src.kv() + layer0 * src.layer() + srcPages[i] * src.page();
          p.add2d(d, dst.layer(), s, src.layer(), run, nLayers);
        }
      }
      return p;
    }
    if (contiguous) {
      // Visit pages in source order so that neighbouring pages (both sides consecutive) merge.
      Integer[] order = new Integer[dstPages.length];
      for (int i = 0; i < order.length; i++) order[i] = i;
      Arrays.sort(order, (a, b) -> Integer.compare(srcPages[a], srcPages[b]));
      for (int kv = 0; kv < parts; kv++) {
        for (int l = layer0; l < layer0 + nLayers; l++) {
          for (int i : order) {
            p.add(kv * dst.kv() + l * dst.layer() + dstPages[i] * dst.page(),
                kv * src.kv() + l * src.layer() + srcPages[i] * src.page(), run);
          }
        }
      }
      return p;
    }
    // One side is strided per token (page_first): a 2-D copy of page-size rows of one item each.
    for (int kv = 0; kv < parts; kv++) {
      for (int l = layer0; l < layer0 + nLayers; l++) {
        for (int i = 0; i < dstPages.length; i++) {
          p.add2d(kv * dst.kv() + l * dst.layer() + dstPages[i] * dst.page(), pageSize == 1 ? item : dst.token(),
              kv * src.kv() + l * src.layer() + srcPages[i] * src.page(), pageSize == 1 ? item : src.token(), item,
              pageSize);
        }
      }
    }
    return p;
  }

  void add(long dstOff, long srcOff, long bytes) {
    if (n > 0) {
      int k = 3 * (n - 1);
      if (runs[k] + runs[k + 2] == dstOff && runs[k + 1] + runs[k + 2] == srcOff) {
        runs[k + 2] += bytes;
        return;
      }
    }
    if (3 * (n + 1) > runs.length) runs = Arrays.copyOf(runs, runs.length * 2);
    runs[3 * n] = dstOff;
    runs[3 * n + 1] = srcOff;
    runs[3 * n + 2] = bytes;
    n++;
  }

  void add2d(long dstOff, long dstPitch, long srcOff, long srcPitch, long width, long height) {
    if (6 * (n2d + 1) > runs2d.length) runs2d = Arrays.copyOf(runs2d, runs2d.length * 2);
    long[] r = runs2d;
    int k = 6 * n2d;
    r[k] = dstOff;
    r[k + 1] = dstPitch;
    r[k + 2] = srcOff;
    r[k + 3] = srcPitch;
    r[k + 4] = width;
    r[k + 5] = height;
    n2d++;
  }

  /** The largest pitch any 2-D run uses (checked against the device's limit). */
  long maxPitch() {
    long m = 0;
    for (int i = 0; i < n2d; i++) m = Math.max(m, Math.max(runs2d[6 * i + 1], runs2d[6 * i + 3]));
    return m;
  }

  long bytes() {
    long b = 0;
    for (int i = 0; i < n; i++) b += runs[3 * i + 2];
    for (int i = 0; i < n2d; i++) b += runs2d[6 * i + 4] * runs2d[6 * i + 5];
    return b;
  }
}
