package dev.hicache.l2.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.IoBackend;
import dev.hicache.l2.memory.AllocationOptions;
import dev.hicache.l2.memory.HostMemoryAllocator;
import dev.hicache.l2.memory.KernelFacts;
import dev.hicache.l2.memory.MemoryEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostPoolPlannerTest {
  private static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, 64); // 128 KiB per token

  private static KernelFacts kernel(Path dir, long memAvailableKb, long free2m) throws IOException {
    Files.createDirectories(dir.resolve("proc"));
    Files.writeString(dir.resolve("proc/meminfo"), "MemTotal: 99999999 kB\nMemAvailable: " + memAvailableKb + " kB\n");
    Path hp = dir.resolve("sys/kernel/mm/hugepages/hugepages-2048kB");
    Files.createDirectories(hp);
    Files.writeString(hp.resolve("free_hugepages"), free2m + "\n");
    return new KernelFacts(dir);
  }

  @Test
  void ratio_sizesFromTheDevicePool_alignedUpByOnePage(@TempDir Path dir) throws IOException {
    HostPoolPlanner.Plan plan = HostPoolPlanner.plan(HiCacheConfig.defaults(), 1000, SHAPE,
        kernel(dir, 64L << 20, 0), new MemoryEnv(Map.of()));
    assertThat(plan.tokens()).isEqualTo((2000 / 64 + 1) * 64);
    assertThat(plan.bytes()).isEqualTo(plan.tokens() * SHAPE.bytesPerToken());
  }

  @Test
  void hicacheSize_isDecimalGbPerRank(@TempDir Path dir) throws IOException {
    HiCacheConfig c = HiCacheConfig.builder().hicacheSizeGb(2).build();
    HostPoolPlanner.Plan plan = HostPoolPlanner.plan(c, 1000, SHAPE, kernel(dir, 64L << 20, 0), new MemoryEnv(Map.of()));
    assertThat(plan.tokens()).isEqualTo((2_000_000_000L / SHAPE.bytesPerToken() / 64 + 1) * 64);
  }

  @Test
  void hostPoolNotLargerThanDevicePool_isAnError(@TempDir Path dir) throws IOException {
    HiCacheConfig c = HiCacheConfig.builder().hicacheSizeGb(0.01).build();
    assertThatThrownBy(() -> HostPoolPlanner.plan(c, 100_000, SHAPE, kernel(dir, 64L << 20, 0), new MemoryEnv(Map.of())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hicacheSizeGb 0.01")
        .hasMessageContaining("must be larger than the device pool");
  }

  @Test
  void poolThatDoesNotFitInMemAvailableMinus10GiB_isAnError(@TempDir Path dir) throws IOException {
    HiCacheConfig c = HiCacheConfig.builder().hicacheRatio(4).build();
    // 40000 device tokens × 4 × 128 KiB ≈ 20 GiB; 24 GiB available leaves 14.
    assertThatThrownBy(() -> HostPoolPlanner.plan(c, 40_000, SHAPE, kernel(dir, 24L << 20, 0), new MemoryEnv(Map.of())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hicacheRatio 4.0")
        .hasMessageContaining("minus 10 GiB");
  }

  @Test
  void strictHugepages_checkTheFreeHugeTlbPagesInstead(@TempDir Path dir) throws IOException {
    MemoryEnv strict = new MemoryEnv(Map.of("MC_STORE_USE_HUGEPAGE", "1"));
    // 2048 tokens × 128 KiB = 256 MiB = 128 pages of 2 MiB.
    assertThatThrownBy(() -> HostPoolPlanner.plan(HiCacheConfig.defaults(), 1000, SHAPE, kernel(dir, 64L << 20, 127), strict))
        .hasMessageContaining("128 HugeTLB pages").hasMessageContaining("only 127 are free")
        .hasMessageContaining("MC_STORE_USE_HUGEPAGE");
    Path dir2 = dir.resolve("b");
    assertThat(HostPoolPlanner.plan(HiCacheConfig.defaults(), 1000, SHAPE, kernel(dir2, 1, 128), strict).tokens()).isEqualTo(2048);
  }

  @Test
  void layoutRules_areResolved_withWarnings(@TempDir Path dir) throws IOException {
    KernelFacts k = kernel(dir, 64L << 20, 0);
    HiCacheConfig mooncake = HiCacheConfig.builder().storageBackend("mooncake").build();
    HostPoolPlanner.Plan plan = HostPoolPlanner.plan(mooncake, 1000, SHAPE, k, new MemoryEnv(Map.of()));
    assertThat(plan.config().memLayout()).isEqualTo(MemLayout.PAGE_FIRST);
    assertThat(plan.warnings()).singleElement().asString().contains("layer_first is not supported by the mooncake");
    HiCacheConfig direct = HiCacheConfig.builder().memLayout(MemLayout.PAGE_FIRST_DIRECT).build();
    HostPoolPlanner.Plan p2 = HostPoolPlanner.plan(direct, 1000, SHAPE, k, new MemoryEnv(Map.of()));
    assertThat(p2.config().ioBackend()).isEqualTo(IoBackend.DIRECT);
  }

  @Test
  void plan_createsThePoolItSized(@TempDir Path dir) throws IOException {
    KvShape small = KvShape.mha(2, 2, 8, DType.FP16, 16);
    HiCacheConfig c = HiCacheConfig.builder().pageSize(16).storageBackend("mooncake").build();
    HostPoolPlanner.Plan plan = HostPoolPlanner.plan(c, 100, small, kernel(dir, 64L << 20, 0), new MemoryEnv(Map.of()));
    HostMemoryAllocator allocator = new HostMemoryAllocator(new MemoryEnv(Map.of()), KernelFacts.system(), w -> { });
    try (HostKvPool pool = HostKvPool.create(plan, allocator, AllocationOptions.defaults(), List.of())) {
      assertThat(pool.capacityTokens()).isEqualTo(plan.tokens()).isEqualTo((200 / 16 + 1) * 16);
      assertThat(pool.layout().layout()).isEqualTo(MemLayout.PAGE_FIRST);
      assertThat(pool.buffer().byteSize()).isEqualTo(plan.bytes());
    }
    assertThat(allocator.outstandingBytes()).isZero();
  }

  @Test
  void pageSizeMismatch_isAnError(@TempDir Path dir) throws IOException {
    HiCacheConfig c = HiCacheConfig.builder().pageSize(32).build();
    assertThatThrownBy(() -> HostPoolPlanner.plan(c, 1000, SHAPE, kernel(dir, 64L << 20, 0), new MemoryEnv(Map.of())))
        .hasMessageContaining("--page-size 32");
  }

  @Test
  void memLayoutFlag_parsesAndRejectsWithTheFlagName() {
    assertThat(MemLayout.parse("page_first_direct")).isEqualTo(MemLayout.PAGE_FIRST_DIRECT);
    assertThatThrownBy(() -> MemLayout.parse("page_head")).hasMessageContaining("--hicache-mem-layout");
  }
}
