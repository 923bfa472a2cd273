package dev.hicache.l1;

import java.util.Arrays;

/**
 * The copy-engine work of one transfer step: 1-D runs (dstOffset, srcOffset, bytes) and 2-D runs
 * (dstOffset, dstPitch, srcOffset, srcPitch, widthBytes, height) and 3-D runs (2-D runs repeated
 * {@code depth} times, each side's slices {@code pitch × rows} apart), offsets relative to the two
 * buffers' bases. Built in Java (so it is unit-tested without a GPU) and executed by the native
 * library as cudaMemcpyBatchAsync / cudaMemcpy2DAsync / cudaMemcpy3DAsync.
 */
final class CopyPlan {
  long[] runs = new long[3 * 64];
  int n;
  long[] runs2d = new long[6 * 16];
  int n2d;
  long[] runs3d = new long[9 * 16];
  int n3d;

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

  /**
   * Plans whole pages as one 3-D copy per page (width: a page-size run; height: the layers; depth:
   * the parts), or returns null where a side does not hold each (part, layer, page) as one run or
   * does not place its parts a whole number of layer strides apart (then {@link #plan} with
   * {@code layersIn2d} is the fallback).
   */
  static CopyPlan plan3d(Strides dst, Strides src, int[] dstPages, int[] srcPages, int parts, int layer0, int nLayers,
      int pageSize, long item) {
    long run = pageSize * item;
    if (parts < 2 || nLayers < 1 || !dst.pageRunContiguous(item, pageSize) || !src.pageRunContiguous(item, pageSize)) {
      return null;
    }
    if (dst.layer() < run || src.layer() < run || dst.kv() % dst.layer() != 0 || src.kv() % src.layer() != 0) return null;
    long dstRows = dst.kv() / dst.layer();
    long srcRows = src.kv() / src.layer();
    if (dstRows < layer0 + nLayers || srcRows < layer0 + nLayers) return null;
    CopyPlan p = new CopyPlan();
    for (int i = 0; i < dstPages.length; i++) {
      p.add3d(layer0 * dst.layer() + dstPages[i] * dst.page(), dst.layer(), dstRows,
          layer0 * src.layer() + srcPages[i] * src.page(), src.layer(), srcRows, run, nLayers, parts);
    }
    return p;
  }

  void add3d(long dstOff, long dstPitch, long dstRows, long srcOff, long srcPitch, long srcRows, long width, long height,
      long depth) {
    if (9 * (n3d + 1) > runs3d.length) runs3d = Arrays.copyOf(runs3d, runs3d.length * 2);
    long[] r = runs3d;
    int k = 9 * n3d;
    r[k] = dstOff;
    r[k + 1] = dstPitch;
    r[k + 2] = dstRows;
    r[k + 3] = srcOff;
    r[k + 4] = srcPitch;
    r[k + 5] = srcRows;
    r[k + 6] = width;
    r[k + 7] = height;
    r[k + 8] = depth;
    n3d++;
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
    for (int i = 0; i < n3d; i++) m = Math.max(m, Math.max(runs3d[9 * i + 1], runs3d[9 * i + 4]));
    return m;
  }

  long bytes() {
    long b = 0;
    for (int i = 0; i < n; i++) b += runs[3 * i + 2];
    for (int i = 0; i < n2d; i++) b += runs2d[6 * i + 4] * runs2d[6 * i + 5];
    for (int i = 0; i < n3d; i++) b += runs3d[9 * i + 6] * runs3d[9 * i + 7] * runs3d[9 * i + 8];
    return b;
  }
}
