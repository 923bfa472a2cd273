package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.EvictionPolicyKind;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.EvictionPolicy;
import dev.hicache.api.spi.PrefetchPolicy;
import dev.hicache.api.spi.PrefetchProgress;
import dev.hicache.api.spi.WritePolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyRegistryTest {
  private static final PrefetchPolicy SLO = new PrefetchPolicy() {
    @Override public String flagName() { return "slo_deadline"; }
    @Override public boolean canTerminate(PrefetchProgress pr, long now) { return pr.complete() || now - pr.startNanos() > 50_000_000; }
  };

  @Test void sglang_holdsSglangsNames_andNothingElse() {
    PolicyRegistry r = PolicyRegistry.sglang();
    assertThat(r.evictionNames()).containsExactly("lru", "lfu", "fifo", "mru", "filo", "priority", "slru");
    assertThat(r.prefetchNames()).containsExactlyInAnyOrder("best_effort", "wait_complete", "timeout");
    assertThat(r.writeNames()).containsExactly("write_through", "write_through_selective", "write_back");
    for (String n : r.evictionNames()) assertThat(r.eviction(n).flagName()).isEqualTo(n);
    // The config's typed kinds name exactly the registry's built-ins, in the same order.
    assertThat(java.util.Arrays.stream(EvictionPolicyKind.values()).map(EvictionPolicyKind::flagName))
        .containsExactlyElementsOf(r.evictionNames());
    assertThat(java.util.Arrays.stream(PrefetchPolicyKind.values()).map(PrefetchPolicyKind::flagName))
        .containsExactlyInAnyOrderElementsOf(r.prefetchNames());
    assertThat(java.util.Arrays.stream(WritePolicyKind.values()).map(WritePolicyKind::flagName))
        .containsExactlyElementsOf(r.writeNames());
    assertThatThrownBy(() -> EvictionPolicyKind.parse("LRU")).hasMessageContaining("--radix-eviction-policy")
        .hasMessageContaining("'LRU'").hasMessageContaining("lru, lfu, fifo");
    HiCacheConfig c = HiCacheConfig.defaults();
    for (String n : r.prefetchNames()) assertThat(r.prefetch(n, c).flagName()).isEqualTo(n);
    assertThat(r.write("write_back", c)).isSameAs(WritePolicyKind.WRITE_BACK);
  }

  @Test void unknownNames_nameTheFlagAndTheValue() {
    PolicyRegistry r = PolicyRegistry.sglang();
    assertThatThrownBy(() -> r.eviction("LRU2")).hasMessageContaining("--radix-eviction-policy").hasMessageContaining("'LRU2'")
        .hasMessageContaining("lru, lfu, fifo");
    assertThatThrownBy(() -> r.prefetch("slo_deadline", HiCacheConfig.defaults()))
        .hasMessageContaining("--hicache-storage-prefetch-policy").hasMessageContaining("'slo_deadline'");
    assertThatThrownBy(() -> r.write("write_around", HiCacheConfig.defaults())).hasMessageContaining("--hicache-write-policy");
  }

  @Test void usersAddTheirOwn_toOneRegistry_withoutTouchingAnother() {
    EvictionPolicy newestFirst = PolicyRegistry.sglang().eviction("mru");
    WritePolicy everySecondHit = new WritePolicy() {
      @Override public String flagName() { return "every_second_hit"; }
      @Override public int writeThroughThreshold() { return 2; }
      @Override public boolean writeBack() { return false; }
    };
    PolicyRegistry mine = PolicyRegistry.sglang().toBuilder().prefetch("slo_deadline", c -> SLO)
        .eviction("newest_first", () -> newestFirst).write("every_second_hit", c -> everySecondHit).build();
    assertThat(mine.prefetch("slo_deadline", HiCacheConfig.defaults())).isSameAs(SLO);
    assertThat(mine.prefetchNames()).contains("slo_deadline", "best_effort", "timeout", "wait_complete");
    assertThat(mine.eviction("newest_first")).isSameAs(newestFirst);
    assertThat(mine.write("every_second_hit", HiCacheConfig.defaults())).isSameAs(everySecondHit);
    assertThat(PolicyRegistry.sglang().prefetchNames()).doesNotContain("slo_deadline");
    assertThatThrownBy(() -> PolicyRegistry.sglang().toBuilder().prefetch("timeout", c -> SLO))
        .hasMessageContaining("'timeout' is already registered");
  }

  @Test void theBuilder_takesItsPolicies_fromItsRegistry() {
    KvShape shape = new KvShape(1, 1, 8, DType.BF16, false, 4);
    PolicyRegistry mine = PolicyRegistry.sglang().toBuilder().eviction("newest_first", () -> PolicyRegistry.sglang().eviction("mru"))
        .build();
    HiCacheConfig config = HiCacheConfig.builder().pageSize(4).prefetchPolicy(PrefetchPolicyKind.BEST_EFFORT).build();
    assertThatThrownBy(() -> HiCache.builder(config).metadataOnly(shape, 64, 128).evictionPolicy("newest_first").build())
        .hasMessageContaining("--radix-eviction-policy").hasMessageContaining("'newest_first'");
    try (HiCache c = HiCache.builder(config).metadataOnly(shape, 64, 128).policies(mine).evictionPolicy("newest_first")
        .build()) {
      int[] tokens = {1, 2, 3, 4, 5, 6, 7, 8};
      CacheRequest r = c.admit(tokens);
      assertThat(c.extend(r, tokens.length)).isTrue();
      c.finish(r, tokens, tokens.length);
      assertThat(c.deviceCachedTokens()).isEqualTo(8);
    }
    assertThatThrownBy(() -> HiCache.builder(HiCacheConfig.builder().pageSize(4).build()).metadataOnly(shape, 64, 128)
        .writePolicy("every_second_hit").build()).hasMessageContaining("--hicache-write-policy");
    assertThat(List.of(mine.evictionNames().toArray())).endsWith("newest_first");
  }
}
