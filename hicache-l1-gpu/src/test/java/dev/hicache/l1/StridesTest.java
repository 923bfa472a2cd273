package dev.hicache.l1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import org.junit.jupiter.api.Test;

/** The four strides the kernels use agree with the api's descriptor at every item. */
class StridesTest {

  @Test
  void strides_everyLayoutAndShape_matchDescriptorAtEveryItem() {
    KvShape[] shapes = {KvShape.mha(3, 2, 8, DType.BF16, 4), KvShape.mla(5, 6, 2, DType.FP16, 2),
        KvShape.mha(1, 1, 4, DType.FP8_E4M3, 1), KvShape.mha(2, 3, 5, DType.FP32, 3)};
    for (KvShape shape : shapes) {
      for (MemLayout l : MemLayout.values()) {
        LayoutDescriptor d = new LayoutDescriptor(shape, l, shape.pageSize() * 5);
        Strides s = Strides.of(d);
        for (int kv = 0; kv < shape.kvParts(); kv++) {
          for (int layer = 0; layer < shape.layers(); layer++) {
            for (int t = 0; t < d.tokens(); t++) {
              assertThat(s.offset(kv, layer, t, shape.pageSize())).as("%s (%d,%d,%d)", d, kv, layer, t)
                  .isEqualTo(d.offset(kv, layer, t));
            }
          }
        }
      }
    }
  }

  @Test
  void pageRunContiguous_onlyPageFirstIsStrided() {
    KvShape shape = KvShape.mha(4, 2, 8, DType.BF16, 4);
    assertThat(Strides.of(new LayoutDescriptor(shape, MemLayout.LAYER_FIRST, 16)).pageRunContiguous(32, 4)).isTrue();
    assertThat(Strides.of(new LayoutDescriptor(shape, MemLayout.PAGE_FIRST_DIRECT, 16)).pageRunContiguous(32, 4)).isTrue();
    assertThat(Strides.of(new LayoutDescriptor(shape, MemLayout.PAGE_FIRST, 16)).pageRunContiguous(32, 4)).isFalse();
  }
}
