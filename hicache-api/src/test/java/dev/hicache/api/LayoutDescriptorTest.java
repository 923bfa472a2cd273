package dev.hicache.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LayoutDescriptorTest {

  @Test
  void everyLayout_mapsItemsOneToOneIntoTheBuffer() {
    qt().withExamples(200).forAll(integers().between(1, 4), integers().between(1, 3), integers().between(1, 4),
        integers().between(1, 4)).checkAssert((layers, heads, pageSize, pages) -> {
          for (boolean mla : new boolean[] {false, true}) {
            KvShape shape = new KvShape(layers, mla ? 1 : heads, 2, DType.FP16, mla, pageSize);
            for (MemLayout layout : MemLayout.values()) {
              LayoutDescriptor d = new LayoutDescriptor(shape, layout, pages * pageSize);
              Set<Long> seen = new HashSet<>();
              for (int kv = 0; kv < shape.kvParts(); kv++) {
                for (int l = 0; l < layers; l++) {
                  for (int t = 0; t < pages * pageSize; t++) {
                    long off = d.offset(kv, l, t);
                    assertThat(off % d.itemBytes()).isZero();
                    assertThat(off).isBetween(0L, d.totalBytes() - d.itemBytes());
                    assertThat(seen.add(off)).as("%s kv%d l%d t%d", d, kv, l, t).isTrue();
                  }
                }
              }
              assertThat(seen).hasSize((int) (d.totalBytes() / d.itemBytes()));
            }
          }
        });
  }

  @Test
  void pageObjectRanges_coverExactlyThePagesItems() {
    KvShape shape = KvShape.mha(3, 2, 4, DType.BF16, 4);
    for (MemLayout layout : MemLayout.values()) {
      LayoutDescriptor d = new LayoutDescriptor(shape, layout, 16);
      long[] r = d.pageObjectRanges(8);
      long total = 0;
      for (int i = 1; i < r.length; i += 2) total += r[i];
      assertThat(total).as(layout.flagName()).isEqualTo(shape.bytesPerPage());
      for (int kv = 0; kv < 2; kv++) {
        for (int l = 0; l < 3; l++) {
          for (int t = 8; t < 12; t++) {
            long off = d.offset(kv, l, t);
            boolean inside = false;
            for (int i = 0; i < r.length; i += 2) inside |= off >= r[i] && off + d.itemBytes() <= r[i] + r[i + 1];
            assertThat(inside).as("%s kv%d l%d t%d", layout, kv, l, t).isTrue();
          }
        }
      }
    }
  }

  @Test
  void sglangDimensionOrders() {
    KvShape s = KvShape.mha(2, 1, 1, DType.FP32, 2); // item = 4 bytes
    LayoutDescriptor lf = new LayoutDescriptor(s, MemLayout.LAYER_FIRST, 4);
    assertThat(lf.offset(1, 1, 3)).isEqualTo(((1 * 2 + 1) * 4 + 3) * 4);
    LayoutDescriptor pf = new LayoutDescriptor(s, MemLayout.PAGE_FIRST, 4);
    assertThat(pf.offset(1, 1, 3)).isEqualTo(((1 * 4 + 3) * 2 + 1) * 4);
    LayoutDescriptor pfd = new LayoutDescriptor(s, MemLayout.PAGE_FIRST_DIRECT, 4);
    // (2, page, layer, page_size, ...): kv1, page1, layer1, t1
    assertThat(pfd.offset(1, 1, 3)).isEqualTo((((1 * 2 + 1) * 2 + 1) * 2 + 1) * 4);
  }
}
