package dev.hicache.simulator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.core.sim.CostModel;
import dev.hicache.simulator.virtualtime.TieredSimulation;
import dev.hicache.core.sim.L3CostModel;
import dev.hicache.core.sim.MatchTouch;
import dev.hicache.simulator.model.HardwareProfile;
import dev.hicache.simulator.model.ModelProfile;
import dev.hicache.simulator.workload.Request;
import dev.hicache.simulator.workload.Workload;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import dev.hicache.simulator.l3.MemoryL3Store;

/**
 * Instances sharing one L3 in one virtual-time order: what a warm instance backed up is an L3 hit
 * for a cold instance that asks after the write completed, and a miss for one that asks before.
 */
class SharedL3TimeTest {
  private static final ModelProfile MODEL = ModelProfile.preset("llama-3-8b");
  private static final HiCacheConfig CONFIG = HiCacheConfig.builder().pageSize(64)
      .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).build();
  private static final long SECOND = 1_000_000_000L;
  /** A prompt's last page is always computed (a request prefills at least one token), so never a hit. */
  private static final int HITTABLE = 2048 - 64;

  private static int[] prompt(int tokens) {
    int[] t = new int[tokens];
    for (int i = 0; i < tokens; i++) t[i] = 1000 + i;
    return t;
  }

  private static TieredSimulation instance(MemoryL3Store l3) {
    // 1 GB/s L3 writes: 32 pages of 8 MiB take about a quarter of a second to back up.
    return new TieredSimulation(CONFIG, MODEL.shape(1, 64), 64 * 64, 128 * 64, CostModel.link(50e9, 50e9, 1_000),
        1_000, 0, MatchTouch.MATCHED_ONLY, l3, L3CostModel.link(40e9, 1e9, 100_000));
  }

  /** The cold instance's L3 hit tokens when it asks {@code afterNanos} after the warm one finished. */
  private static int coldHit(long afterNanos, boolean advanceWarm) {
    int[] tokens = prompt(2048);
    try (MemoryL3Store l3 = new MemoryL3Store(10_000); TieredSimulation warm = instance(l3);
         TieredSimulation cold = instance(l3)) {
      TieredSimulation.Outcome first = warm.submit(0, tokens, 0);
      assertThat(first.cachedTokens()).isZero();
      long t = first.finishedAtNanos() + afterNanos;
      if (advanceWarm) warm.advanceTo(t);
      TieredSimulation.Outcome second = cold.submit(t, tokens, 0);
      assertThat(second.deviceHitTokens()).isZero();
      cold.checkInvariants();
      warm.checkInvariants();
      return second.storageHitTokens();
    }
  }

  @Test
  void coldInstance_hitsWhatTheWarmOneBackedUp_onceTheWriteHasCompleted() {
    assertThat(coldHit(100 * SECOND, true)).isEqualTo(HITTABLE);
  }

  @Test
  void coldInstance_missesBeforeTheWarmOnesBackupHasLanded() {
    // 1 ms after the prefill the device->host copy (256 MiB at 50 GB/s) has not even finished.
    assertThat(coldHit(1_000_000, true)).isZero();
  }

  @Test
  void withoutAdvancingTheWarmInstance_itsBackupNeverLands() {
    // The old behaviour this guards against: the warm instance's copies wait for its next request.
    assertThat(coldHit(100 * SECOND, false)).isZero();
  }

  @Test
  void advanceTo_neverMovesTheClockBackwards() {
    try (MemoryL3Store l3 = new MemoryL3Store(10_000); TieredSimulation sim = instance(l3)) {
      sim.advanceTo(5 * SECOND);
      sim.advanceTo(SECOND);
      assertThat(sim.now()).isEqualTo(5 * SECOND);
    }
  }

  /** The cluster replay drives every instance in one order: a round-robin repeat is an L3 hit. */
  @Test
  void clusterReplay_roundRobinRepeatOnAnotherInstance_isAnL3Hit() throws IOException {
    HardwareProfile hw = HardwareProfile.preset("h100-box");
    EngineSetup setup = new EngineSetup(CONFIG, MODEL, hw, 1, MODEL.shape(1, 64), 64 * 64, 128 * 64,
        hw.prefillNanosPerToken(MODEL, 1), 0, 2, "round_robin", 1024, 10_000 * 64L, "memory");
    int[] tokens = prompt(2048);
    Workload twice = new Workload() {
      int i;

      @Override public boolean next(Request r) {
        if (i == 2) return false;
        r.arrivalNanos = i * 100 * SECOND;
        r.tokens = tokens;
        r.outputTokens = 0;
        r.group = 0;
        r.origin = i++;
        return true;
      }

      @Override public String describe() {
        return "the same prompt twice, 100 s apart";
      }
    };
    EngineResult r = new EngineReplay(setup).run(twice, null);
    assertThat(r.hits().requests()).isEqualTo(2);
    assertThat(r.hits().deviceTokens()).isZero();
    assertThat(r.hits().storageTokens()).isEqualTo(HITTABLE);
  }
}
