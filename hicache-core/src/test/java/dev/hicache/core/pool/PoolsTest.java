package dev.hicache.core.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.spi.Transfer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class PoolsTest {
  private static final KvShape MHA = KvShape.mha(3, 2, 4, DType.FP16, 4);
  private static final KvShape MLA = KvShape.mla(3, 6, 2, DType.FP16, 4);

  private static void fill(HostMemoryDevicePool d, int slot, long seed) {
    for (int kv = 0; kv < d.shape().kvParts(); kv++) {
      for (int layer = 0; layer < d.shape().layers(); layer++) {
        long off = d.layout().offset(kv, layer, slot);
        for (long b = 0; b < d.layout().itemBytes(); b++) d.buffer().set(ValueLayout.JAVA_BYTE, off + b, (byte) (seed * 31 + kv * 7 + layer * 3 + b));
      }
    }
  }

  private static boolean same(HostMemoryDevicePool d, int slot, long seed) {
    for (int kv = 0; kv < d.shape().kvParts(); kv++) {
      for (int layer = 0; layer < d.shape().layers(); layer++) {
        long off = d.layout().offset(kv, layer, slot);
        for (long b = 0; b < d.layout().itemBytes(); b++) {
          if (d.buffer().get(ValueLayout.JAVA_BYTE, off + b) != (byte) (seed * 31 + kv * 7 + layer * 3 + b)) return false;
        }
      }
    }
    return true;
  }

  @ParameterizedTest @EnumSource(MemLayout.class)
  void backupThenLoad_roundTripsEveryByte_inEveryHostLayout(MemLayout layout) throws InterruptedException {
    for (KvShape shape : new KvShape[] {MHA, MLA}) {
      ExecutorService ex = Executors.newSingleThreadExecutor();
      try (HostMemoryDevicePool d = new HostMemoryDevicePool(shape, 32, ex); OffHeapHostPool h = new OffHeapHostPool(shape, layout, 48)) {
        int[] src = d.alloc(8);
        int[] hs = h.alloc(12);
        int[] hostSlots = java.util.Arrays.copyOfRange(hs, 4, 12);
        for (int s : src) fill(d, s, s + 1);
        Transfer b = d.backup(src, h, hostSlots);
        b.await();
        assertThat(b.failure()).isNull();
        assertThat(b.bytes()).isEqualTo(2 * shape.bytesPerPage());
        int[] dst = d.alloc(8);
        Transfer l = d.load(hostSlots, h, dst);
        for (int layer = 0; layer < shape.layers(); layer++) l.awaitLayer(layer);
        assertThat(l.layersDone()).isEqualTo(shape.layers());
        for (int i = 0; i < 8; i++) assertThat(same(d, dst[i], src[i] + 1)).as("slot " + i).isTrue();
        // The page as one flat buffer, and back into another page: a checksum survives it.
        try (Arena a = Arena.ofConfined()) {
          MemorySegment flat = a.allocate(h.pageBytes());
          h.readPage(hostSlots[0], flat);
          h.writePage(hs[0], flat);
          PageKey key = PageKey.ofDigest(new byte[32]);
          assertThat(HostPageChecksum.of(h, hs[0] / 4, key)).isEqualTo(HostPageChecksum.of(h, hostSlots[0] / 4, key));
          assertThat(HostPageChecksum.of(h, hs[0] / 4, PageKey.fromHex("01".repeat(32)))).isNotEqualTo(HostPageChecksum.of(h, hs[0] / 4, key));
        }
      } finally {
        ex.shutdown();
      }
    }
  }

  @Test void pools_checkAllocationAndClose() {
    HostMemoryDevicePool d = new HostMemoryDevicePool(MHA, 16);
    assertThat(d.outstandingBytes()).isEqualTo(16L * MHA.bytesPerToken());
    int[] s = d.alloc(8);
    assertThat(d.availableTokens()).isEqualTo(8);
    assertThat(d.alloc(12)).isNull();
    assertThatThrownBy(() -> d.alloc(3)).hasMessageContaining("multiple of page size");
    d.free(s);
    assertThatThrownBy(() -> d.free(s)).hasMessageContaining("double free");
    assertThatThrownBy(() -> d.free(new int[] {1, 2, 3, 4})).hasMessageContaining("does not start a page");
    d.close();
    d.close();
    assertThat(d.outstandingBytes()).isZero();
    assertThatThrownBy(() -> d.alloc(4)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> new HostMemoryDevicePool(MHA, 6)).hasMessageContaining("multiple of page size");
  }

  @Test void sized_followsHicacheRatioAndRejectsSmallHost() {
    try (OffHeapHostPool h = OffHeapHostPool.sized(HiCacheConfig.builder().pageSize(4).build(), MHA, 64)) {
      // 2.0 x 64, plus one page (docs/behaviour.md#host-pool-size)
      assertThat(h.capacityTokens()).isEqualTo(132);
    }
    assertThatThrownBy(() -> OffHeapHostPool.sized(HiCacheConfig.builder().pageSize(4).hicacheRatio(0.5).build(), MHA, 64))
        .hasMessageContaining("hicacheRatio 0.5");
    // --hicache-size overrides the ratio; a pool that leaves under 10 GiB to the system is refused.
    HiCacheConfig sized = HiCacheConfig.builder().pageSize(4).hicacheSizeGb(0.001).build();
    try (OffHeapHostPool h = OffHeapHostPool.sized(sized, MHA, 64, 64L << 30)) {
      assertThat(h.capacityTokens()).isEqualTo((int) (1e6 / MHA.bytesPerToken()) / 4 * 4 + 4);
    }
    assertThatThrownBy(() -> OffHeapHostPool.sized(sized, MHA, 64, 10L << 30))
        .hasMessageContaining("hicacheSizeGb 0.001").hasMessageContaining("10 GiB");
  }
}
