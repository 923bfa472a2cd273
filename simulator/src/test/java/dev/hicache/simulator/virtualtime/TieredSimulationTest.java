package dev.hicache.simulator.virtualtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.Tier;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.sim.MatchTouch;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.engine.InMemoryL3StoreDouble;

class TieredSimulationTest {
  private static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, 64);

  /** Multi-turn conversations: each turn's prompt is the previous prompt plus new tokens. */
  private static double run(WritePolicyKind policy, int hostTokens, long[] hostHits) {
    return run(policy, hostTokens, hostHits, null);
  }

  private static double run(WritePolicyKind policy, int hostTokens, long[] hostHits, InMemoryL3StoreDouble l3) {
    HiCacheConfig config = HiCacheConfig.builder().writePolicy(policy)
        .prefetchPolicy(dev.hicache.api.config.PrefetchPolicyKind.WAIT_COMPLETE).build();
    try (TieredSimulation sim = new TieredSimulation(config, SHAPE, 64 * 64, hostTokens, CostModel.pcieGen5(),
        20_000, 0, MatchTouch.TRAVERSED, l3, null)) {
      Random rnd = new Random(7);
      int conversations = 24;
      int[][] history = new int[conversations][0];
      long t = 0;
      for (int turn = 0; turn < 6; turn++) {
        for (int c = 0; c < conversations; c++) {
          int[] prompt = Arrays.copyOf(history[c], history[c].length + 300);
          for (int i = history[c].length; i < prompt.length; i++) prompt[i] = rnd.nextInt(32000);
          history[c] = prompt;
          // Each message is sent twice (n=2 sampling): the second hit is what write_through_selective waits for.
          for (int copy = 0; copy < 2; copy++) {
            sim.submit(t, prompt, 50);
            t += 1_000_000;
          }
          sim.checkInvariants();
        }
      }
      sim.drain();
      sim.checkInvariants();
      assertThat(sim.metrics().counter("cached_tokens", Tier.DEVICE.sglangName())).isEqualTo(sim.deviceHitTokens());
      assertThat(sim.metrics().counter("cached_tokens", Tier.HOST.sglangName())).isEqualTo(sim.hostHitTokens() - sim.storageHitTokens());
      assertThat(sim.metrics().counter("cached_tokens", Tier.STORAGE.sglangName())).isEqualTo(sim.storageHitTokens());
      assertThat(sim.metrics().counter("prompt_tokens")).isEqualTo(sim.promptTokens());
      hostHits[0] = sim.hostHitTokens();
      if (hostHits.length > 1) hostHits[1] = sim.storageHitTokens();
      return sim.hitRatio();
    }
  }

  @Test void hostTier_raisesHitRatioOverDeviceOnly_everyWritePolicy() {
    long[] hits = new long[1];
    double l1 = run(WritePolicyKind.WRITE_THROUGH, 0, hits);
    assertThat(hits[0]).isZero();
    for (WritePolicyKind p : WritePolicyKind.values()) {
      double l2 = run(p, 64 * 64 * 4, hits);
      assertThat(hits[0]).as(p + " host hits").isPositive();
      assertThat(l2).as(p + " L1+L2 vs L1 " + l1).isGreaterThan(l1);
      System.out.printf("hit ratio %s: L1 %.4f, L1+L2 %.4f%n", p.flagName(), l1, l2);
    }
  }

  @Test void l3Tier_raisesHitRatioOverDeviceAndHost() {
    long[] hits = new long[2];
    int host = 64 * 64 * 2 + 64;
    double l2 = run(WritePolicyKind.WRITE_THROUGH, host, hits);
    double l3 = run(WritePolicyKind.WRITE_THROUGH, host, hits, new InMemoryL3StoreDouble());
    assertThat(hits[1]).as("storage hit tokens").isPositive();
    assertThat(l3).as("L1+L2+L3 vs L1+L2 " + l2).isGreaterThan(l2);
    System.out.printf("hit ratio write_through: L1+L2 %.4f, L1+L2+L3 %.4f (storage hits %d tokens)%n", l2, l3, hits[1]);
  }

  @Test void loadBack_overlapsPrefillLayerByLayer() {
    HiCacheConfig config = HiCacheConfig.builder().build();
    long bytes = 64L * SHAPE.bytesPerPage(); // a 64-page load
    CostModel cost = CostModel.link(10e9, 10e9, 0);
    long load = cost.hostToDeviceNanos(bytes);
    try (TieredSimulation sim = new TieredSimulation(config, SHAPE, 128 * 64, 512 * 64, cost, 1_000, 0, MatchTouch.TRAVERSED)) {
      int[] a = new int[64 * 64 + 64 * 2];
      int[] b = new int[64 * 120];
      for (int i = 0; i < a.length; i++) a[i] = i;
      for (int i = 0; i < b.length; i++) b[i] = 1_000_000 + i;
      sim.submit(0, a, 0);
      sim.submit(sim.now() + 1_000_000_000L, b, 0); // pushes a's pages off the device; their host copies stay
      TieredSimulation.Outcome o = sim.submit(sim.now() + 1_000_000_000L, a, 0);
      assertThat(o.hostHitTokens()).isGreaterThanOrEqualTo(64 * 64);
      long prefill = (long) (a.length - o.cachedTokens()) * 1_000;
      long loaded = cost.hostToDeviceNanos((long) o.hostHitTokens() / 64 * SHAPE.bytesPerPage());
      long took = o.readyAtNanos() - o.admittedAtNanos();
      assertThat(loaded).isGreaterThanOrEqualTo(load);
      // Overlapped: no shorter than either part, shorter than the two one after the other.
      assertThat(took).isGreaterThanOrEqualTo(Math.max(prefill, loaded)).isLessThan(prefill + loaded);
      sim.checkInvariants();
    }
  }

  /** cache_finished_req: with known output tokens the next turn hits the answer too. */
  @Test void knownOutput_isCachedWithThePrompt_andTheNextTurnHitsIt() {
    HiCacheConfig config = HiCacheConfig.builder().build();
    int[] prompt = new int[1000], answer = new int[300], followUp = new int[200];
    for (int i = 0; i < prompt.length; i++) prompt[i] = i;
    for (int i = 0; i < answer.length; i++) answer[i] = 100_000 + i;
    for (int i = 0; i < followUp.length; i++) followUp[i] = 200_000 + i;
    int[] next = new int[prompt.length + answer.length + followUp.length];
    System.arraycopy(prompt, 0, next, 0, prompt.length);
    System.arraycopy(answer, 0, next, prompt.length, answer.length);
    System.arraycopy(followUp, 0, next, prompt.length + answer.length, followUp.length);
    for (boolean known : new boolean[] {false, true}) {
      try (TieredSimulation sim = new TieredSimulation(config, SHAPE, 64 * 64, 0, CostModel.pcieGen5(), 1_000, 10_000,
          MatchTouch.TRAVERSED)) {
        TieredSimulation.Outcome first = sim.submit(0, prompt, known ? answer : null, answer.length);
        // Decode time is charged either way: 300 tokens x 10 us after the prefill.
        assertThat(first.finishedAtNanos() - first.readyAtNanos()).isEqualTo(300 * 10_000L);
        TieredSimulation.Outcome second = sim.submit(first.finishedAtNanos(), next, null, 1);
        // Prompt only: 15 full pages (960 tokens). Prompt + answer: 1299 KV tokens -> 20 full pages.
        assertThat(second.deviceHitTokens()).isEqualTo(known ? 20 * 64 : 15 * 64);
        sim.checkInvariants();
      }
    }
  }

  /** With an attention cost, the same new tokens take longer after a longer cached prefix. */
  @Test void prefill_attendsToTheCachedTokens() {
    HiCacheConfig config = HiCacheConfig.builder().build();
    try (TieredSimulation sim = new TieredSimulation(config, SHAPE, 256 * 64, 0, CostModel.fixed(0), 1_000, 0,
        MatchTouch.TRAVERSED).attention(2.0)) {
      assertThat(sim.prefillNanos(64, 0)).isEqualTo(64 * 1_000 + Math.round(2.0 * 64 * 32.5));
      assertThat(sim.prefillNanos(64, 6400)).isEqualTo(64 * 1_000 + Math.round(2.0 * 64 * (6400 + 32.5)));
      int[] prefix = new int[6400];
      for (int i = 0; i < prefix.length; i++) prefix[i] = i;
      TieredSimulation.Outcome first = sim.submit(0, prefix, 1);
      assertThat(first.readyAtNanos() - first.admittedAtNanos()).isEqualTo(sim.prefillNanos(6400, 0));
      int[] next = Arrays.copyOf(prefix, 6400 + 64);
      for (int i = 6400; i < next.length; i++) next[i] = 1_000_000 + i;
      TieredSimulation.Outcome second = sim.submit(first.finishedAtNanos(), next, 1);
      // The whole 6,400-token prefix hits; the 64 new tokens attend to it.
      assertThat(second.cachedTokens()).isEqualTo(6400);
      assertThat(second.readyAtNanos() - second.admittedAtNanos()).isEqualTo(sim.prefillNanos(64, 6400));
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TieredSimulation(config, SHAPE, 64 * 64, 0,
        CostModel.fixed(0), 0, 0, MatchTouch.TRAVERSED).attention(-1)).hasMessageContaining("-1");
  }

  /** A request that arrives while the instance is busy queues until the previous one is done. */
  @Test void busyInstance_queuesTheNextArrival() {
    HiCacheConfig config = HiCacheConfig.builder().build();
    try (TieredSimulation sim = new TieredSimulation(config, SHAPE, 64 * 64, 0, CostModel.fixed(0), 1_000, 500,
        MatchTouch.TRAVERSED)) {
      int[] a = new int[640], b = new int[640];
      for (int i = 0; i < 640; i++) { a[i] = i; b[i] = 10_000 + i; }
      TieredSimulation.Outcome first = sim.submit(1_000, a, 10);
      assertThat(first.startedAtNanos()).isEqualTo(1_000);
      TieredSimulation.Outcome second = sim.submit(2_000, b, 10);
      assertThat(second.startedAtNanos()).isEqualTo(first.finishedAtNanos()).isGreaterThan(2_000);
      assertThat(second.admittedAtNanos()).isEqualTo(second.startedAtNanos()); // no L3: nothing to wait for
    }
  }

  /** An output the device cannot hold is computed, and only the prompt is cached. */
  @Test void knownOutput_largerThanTheDevice_cachesThePromptOnly() {
    HiCacheConfig config = HiCacheConfig.builder().build();
    int[] prompt = new int[640], answer = new int[64 * 64];
    for (int i = 0; i < prompt.length; i++) prompt[i] = i;
    for (int i = 0; i < answer.length; i++) answer[i] = 100_000 + i;
    try (TieredSimulation sim = new TieredSimulation(config, SHAPE, 64 * 64, 0, CostModel.pcieGen5(), 1_000, 0,
        MatchTouch.TRAVERSED)) {
      TieredSimulation.Outcome first = sim.submit(0, prompt, answer, answer.length);
      assertThat(first.cached()).isTrue();
      int[] again = Arrays.copyOf(prompt, prompt.length + 64);
      assertThat(sim.submit(first.finishedAtNanos(), again, null, 1).deviceHitTokens()).isEqualTo(640);
      sim.checkInvariants();
    }
  }

  @Test void hostSmallerThanDevice_isRejectedWithTheFlags() {
    HiCacheConfig config = HiCacheConfig.defaults();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TieredSimulation(config, SHAPE, 64 * 64, 64 * 32,
            CostModel.pcieGen5(), 0, 0, MatchTouch.TRAVERSED))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hicacheRatio");
  }
}
