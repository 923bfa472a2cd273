package dev.hicache.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.HostPoolSizing;
import dev.hicache.api.config.IoBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HiCacheConfigTest {

  @Test
  void resolve_mooncakeWithLayerFirst_switchesByIoBackend() {
    List<String> w = new ArrayList<>();
    HiCacheConfig k = HiCacheConfig.builder().storageBackend("mooncake").build().resolve(w);
    assertThat(k.memLayout()).isEqualTo(MemLayout.PAGE_FIRST);
    assertThat(w).hasSize(1);
    HiCacheConfig d = HiCacheConfig.builder().storageBackend("mooncake").ioBackend(IoBackend.DIRECT).build().resolve(new ArrayList<>());
    assertThat(d.memLayout()).isEqualTo(MemLayout.PAGE_FIRST_DIRECT);
  }

  @Test
  void resolve_pageFirstDirectWithKernel_forcesDirect_andDirectPageFirst_becomesDirectLayout() {
    assertThat(HiCacheConfig.builder().memLayout(MemLayout.PAGE_FIRST_DIRECT).build().resolve(new ArrayList<>()).ioBackend())
        .isEqualTo(IoBackend.DIRECT);
    assertThat(HiCacheConfig.builder().memLayout(MemLayout.PAGE_FIRST).ioBackend(IoBackend.DIRECT).build()
        .resolve(new ArrayList<>()).memLayout()).isEqualTo(MemLayout.PAGE_FIRST_DIRECT);
    List<String> none = new ArrayList<>();
    HiCacheConfig.defaults().resolve(none);
    assertThat(none).isEmpty();
  }

  @Test
  void hostTokens_ratioAndSize_alignUpByOnePage() {
    HiCacheConfig c = HiCacheConfig.defaults();
    assertThat(HostPoolSizing.hostTokens(c, 1024, 100)).isEqualTo(2048 + 64);
    HiCacheConfig s = HiCacheConfig.builder().hicacheSizeGb(1).build();
    // 1e9 / 131072 = 7629.39 -> 7629 -> 119 pages + 1 = 120 pages
    assertThat(HostPoolSizing.hostTokens(s, 1024, 131072)).isEqualTo(120 * 64);
  }

  @Test
  void hostTokens_notLargerThanDevice_namesTheFlag() {
    HiCacheConfig c = HiCacheConfig.builder().hicacheRatio(0.5).build();
    assertThatThrownBy(() -> HostPoolSizing.hostTokens(c, 4096, 100))
        .hasMessageContaining("hicacheRatio 0.5").hasMessageContaining("larger than the device pool");
    assertThatThrownBy(() -> HostPoolSizing.checkFits(20L << 30, 25L << 30, "--hicache-size 20"))
        .hasMessageContaining("--hicache-size 20");
  }

  @Test
  void badValues_nameTheFlag() {
    assertThatThrownBy(() -> HiCacheConfig.builder().pageSize(0).build()).hasMessageContaining("pageSize").hasMessageContaining("--page-size");
    assertThatThrownBy(() -> HiCacheConfig.builder().hicacheRatio(-1).build()).hasMessageContaining("hicacheRatio");
    assertThatThrownBy(() -> MemLayout.parse("page_head")).hasMessageContaining("page_head");
  }
}
