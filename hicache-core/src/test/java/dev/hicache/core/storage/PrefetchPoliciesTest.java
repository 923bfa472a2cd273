package dev.hicache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.spi.PrefetchPolicy;
import dev.hicache.api.spi.PrefetchProgress;
import org.junit.jupiter.api.Test;

class PrefetchPoliciesTest {
  static PrefetchProgress p(long start, int hit, int completed) {
    return new PrefetchProgress() {
      @Override public long startNanos() { return start; }
      @Override public int requestedTokens() { return Math.max(hit, 0); }
      @Override public int hitTokens() { return hit; }
      @Override public int completedTokens() { return completed; }
    };
  }

  @Test void flag_selectsThePolicy_withTheSpecDefaults() {
    HiCacheConfig d = HiCacheConfig.defaults();
    assertThat(PrefetchPolicies.create(d).flagName()).isEqualTo("best_effort");
    var t = (PrefetchPolicies.Timeout) PrefetchPolicies.create(d.toBuilder().prefetchPolicy(PrefetchPolicyKind.TIMEOUT).build());
    // 1 s + 0.25 s per 1024 hit tokens, no cap (SGLang's Oct-2025 defaults)
    assertThat(t.baseNanos()).isEqualTo(1_000_000_000L);
    assertThat(t.timeoutNanos(p(0, 4096, 0))).isEqualTo(2_000_000_000L);
    assertThat(t.timeoutNanos(p(0, -1, 0))).as("only the base before the hit is known").isEqualTo(1_000_000_000L);
    assertThat(t.maxNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(t.expires()).as("its terminations count as timeouts").isTrue();
    assertThat(PrefetchPolicies.WaitComplete.INSTANCE.expires()).isFalse();
  }

  @Test void timeout_isStrictlyAfterTheDeadline_orComplete_andCapped() {
    var t = PrefetchPolicies.Timeout.of(HiCacheConfig.builder().prefetchPolicy(PrefetchPolicyKind.TIMEOUT)
        .prefetchTimeoutMaxSeconds(1.5).build());
    assertThat(t.timeoutNanos(p(0, 1 << 20, 0))).isEqualTo(1_500_000_000L);
    assertThat(t.canTerminate(p(10, 1024, 0), 10 + 1_250_000_000L)).isFalse();
    assertThat(t.canTerminate(p(10, 1024, 0), 11 + 1_250_000_000L)).isTrue();
    assertThat(t.canTerminate(p(10, 1024, 1024), 11)).isTrue();
    assertThat(t.deadlineNanos(p(10, 1024, 0))).isEqualTo(10 + 1_250_000_000L);
  }

  @Test void waitComplete_needsAKnownNonZeroHitFullyArrived_bestEffortNeverWaits() {
    PrefetchPolicy w = PrefetchPolicies.WaitComplete.INSTANCE;
    assertThat(w.canTerminate(p(0, -1, 0), 0)).isFalse();
    assertThat(w.canTerminate(p(0, 256, 128), 0)).isFalse();
    assertThat(w.canTerminate(p(0, 256, 256), 0)).isTrue();
    assertThat(PrefetchPolicies.BestEffort.INSTANCE.canTerminate(p(0, -1, 0), 0)).isTrue();
  }
}
