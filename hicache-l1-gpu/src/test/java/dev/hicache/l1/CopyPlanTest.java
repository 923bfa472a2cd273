package dev.hicache.l1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;
import org.quicktheories.generators.SourceDSL;

/**
 * The copy-engine plans, executed here by a CPU stand-in for cudaMemcpy / cudaMemcpy2D, move
 * exactly the items the descriptors say, and nothing else, for every layout, direction and shape.
 */
class CopyPlanTest {

  static void execute(CopyPlan p, byte[] dst, byte[] src) {
    for (int i = 0; i < p.n; i++) {
      System.arraycopy(src, (int) p.runs[3 * i + 1], dst, (int) p.runs[3 * i], (int) p.runs[3 * i + 2]);
    }
    for (int i = 0; i < p.n2d; i++) {
      long[] r = Arrays.copyOfRange(p.runs2d, 6 * i, 6 * i + 6);
      assertThat(r[1]).isGreaterThanOrEqualTo(r[4]);
      assertThat(r[3]).isGreaterThanOrEqualTo(r[4]);
      for (int row = 0; row < r[5]; row++) {
        System.arraycopy(src, (int) (r[2] + row * r[3]), dst, (int) (r[0] + row * r[1]), (int) r[4]);
      }
    }
    for (int i = 0; i < p.n3d; i++) {
      // (dstOff, dstPitch, dstRows, srcOff, srcPitch, srcRows, width, height, depth), as cudaMemcpy3D reads it.
      long[] r = Arrays.copyOfRange(p.runs3d, 9 * i, 9 * i + 9);
      assertThat(r[1]).isGreaterThanOrEqualTo(r[6]);
      assertThat(r[4]).isGreaterThanOrEqualTo(r[6]);
      assertThat(r[2]).isGreaterThanOrEqualTo(r[7]);
      assertThat(r[5]).isGreaterThanOrEqualTo(r[7]);
      for (int z = 0; z < r[8]; z++) {
        for (int row = 0; row < r[7]; row++) {
          System.arraycopy(src, (int) (r[3] + (z * r[5] + row) * r[4]), dst, (int) (r[0] + (z * r[2] + row) * r[1]),
              (int) r[6]);
        }
      }
    }
  }

  @Test
  void plan_everyLayoutDirectionAndShape_movesExactlyThePages() {
    Random rnd = new Random(42);
    KvShape[] shapes = {KvShape.mha(3, 2, 8, DType.BF16, 4), KvShape.mla(4, 6, 2, DType.FP16, 2),
        KvShape.mha(2, 1, 4, DType.FP8_E4M3, 1)};
    for (KvShape shape : shapes) {
      for (MemLayout hostLayout : MemLayout.values()) {
        for (boolean toDevice : new boolean[] {true, false}) {
          for (boolean twoD : new boolean[] {true, false}) {
            for (int[] layers : new int[][] {{0, shape.layers()}, {shape.layers() - 1, 1}}) {
              check(rnd, shape, hostLayout, toDevice, twoD, layers[0], layers[1]);
            }
          }
        }
      }
    }
  }

  private static void check(Random rnd, KvShape shape, MemLayout hostLayout, boolean toDevice, boolean twoD,
      int layer0, int nLayers) {
    int ps = shape.pageSize();
    LayoutDescriptor dev = new LayoutDescriptor(shape, MemLayout.LAYER_FIRST, ps * 9);
    LayoutDescriptor host = new LayoutDescriptor(shape, hostLayout, ps * 7);
    int n = 5;
    int[] dp = pick(rnd, dev.pages(), n);
    int[] hp = pick(rnd, host.pages(), n);
    // make two neighbours consecutive on both sides, so merging is exercised
    dp[1] = (dp[0] + 1) % dev.pages();
    if (Arrays.stream(dp).distinct().count() != n) dp = pick(rnd, dev.pages(), n);
    LayoutDescriptor dstD = toDevice ? dev : host;
    LayoutDescriptor srcD = toDevice ? host : dev;
    int[] dstP = toDevice ? dp : hp;
    int[] srcP = toDevice ? hp : dp;
    byte[] src = new byte[(int) srcD.totalBytes()];
    byte[] dst = new byte[(int) dstD.totalBytes()];
    rnd.nextBytes(src);
    rnd.nextBytes(dst);
    byte[] expected = dst.clone();
    long item = shape.itemBytes();
    for (int i = 0; i < n; i++) {
      for (int kv = 0; kv < shape.kvParts(); kv++) {
        for (int l = layer0; l < layer0 + nLayers; l++) {
          for (int t = 0; t < ps; t++) {
            System.arraycopy(src, (int) srcD.offset(kv, l, srcP[i] * ps + t), expected,
                (int) dstD.offset(kv, l, dstP[i] * ps + t), (int) item);
          }
        }
      }
    }
    CopyPlan plan = CopyPlan.plan(Strides.of(dstD), Strides.of(srcD), dstP, srcP, shape.kvParts(), layer0, nLayers, ps,
        item, twoD);
    assertThat(plan.bytes()).isEqualTo((long) n * shape.kvParts() * nLayers * ps * item);
    byte[] dst3d = dst.clone();
    execute(plan, dst, src);
    assertThat(dst).as("%s host %s toDevice=%s 2d=%s layers %d+%d", shape, hostLayout, toDevice, twoD, layer0, nLayers)
        .isEqualTo(expected);
    CopyPlan plan3d = CopyPlan.plan3d(Strides.of(dstD), Strides.of(srcD), dstP, srcP, shape.kvParts(), layer0, nLayers,
        ps, item);
    if (plan3d != null) {
      assertThat(plan3d.n3d).isEqualTo(n);
      assertThat(plan3d.bytes()).isEqualTo(plan.bytes());
      execute(plan3d, dst3d, src);
      assertThat(dst3d).as("3-D: %s host %s toDevice=%s layers %d+%d", shape, hostLayout, toDevice, layer0, nLayers)
          .isEqualTo(expected);
    }
  }

  @Test
  void plan3d_pageFirstDirectAndLayerFirstDevice_oneCopyPerPageBothParts() {
    KvShape shape = KvShape.mha(3, 2, 8, DType.BF16, 4);
    Strides dev = Strides.of(new LayoutDescriptor(shape, MemLayout.LAYER_FIRST, 4 * 9));
    Strides host = Strides.of(new LayoutDescriptor(shape, MemLayout.PAGE_FIRST_DIRECT, 4 * 7));
    CopyPlan p = CopyPlan.plan3d(host, dev, new int[] {6, 0}, new int[] {2, 8}, 2, 0, 3, 4, 32);
    assertThat(p).isNotNull();
    assertThat(p.n3d).isEqualTo(2);
    assertThat(CopyPlan.plan3d(Strides.of(new LayoutDescriptor(shape, MemLayout.PAGE_FIRST, 4 * 7)), dev,
        new int[] {6}, new int[] {2}, 2, 0, 3, 4, 32)).as("page_first is strided per token").isNull();
  }

  /** Property: any shape (MHA/MLA, any dtype, odd sizes), layout, direction, 2-D folding and layer range. */
  @Test
  void plan_randomShapesAndPages_matchTheDescriptors() {
    QuickTheory.qt().withExamples(300).forAll(SourceDSL.longs().all()).checkAssert(seed -> {
      Random r = new Random(seed);
      DType dt = DType.values()[r.nextInt(DType.values().length)];
      int ps = 1 + r.nextInt(5);
      int layers = 1 + r.nextInt(5);
      KvShape shape = r.nextBoolean() ? KvShape.mha(layers, 1 + r.nextInt(3), 1 + r.nextInt(9), dt, ps)
          : KvShape.mla(layers, 1 + r.nextInt(7), r.nextInt(3), dt, ps);
      int layer0 = r.nextInt(layers);
      int nLayers = 1 + r.nextInt(layers - layer0);
      check(r, shape, MemLayout.values()[r.nextInt(3)], r.nextBoolean(), r.nextBoolean(), layer0, nLayers);
    });
  }

  @Test
  void plan_layerFirstConsecutivePages_mergesIntoOneRunPerLayer() {
    KvShape shape = KvShape.mha(2, 1, 8, DType.BF16, 4);
    Strides dev = Strides.of(new LayoutDescriptor(shape, MemLayout.LAYER_FIRST, 64));
    Strides host = Strides.of(new LayoutDescriptor(shape, MemLayout.LAYER_FIRST, 32));
    CopyPlan p = CopyPlan.plan(dev, host, new int[] {5, 3, 4}, new int[] {2, 0, 1}, 2, 0, 2, 4, 16, false);
    assertThat(p.n).isEqualTo(4);  // 2 parts x 2 layers, 3 pages each merged
    assertThat(p.runs[2]).isEqualTo(3 * 4 * 16);
  }

  private static int[] pick(Random rnd, int pages, int n) {
    List<Integer> all = new ArrayList<>();
    for (int p = 0; p < pages; p++) all.add(p);
    Collections.shuffle(all, rnd);
    return all.subList(0, n).stream().mapToInt(Integer::intValue).toArray();
  }
}
