package dev.hicache.simulator.virtualtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.sim.MatchTouch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.SharedLink;

/**
 * Instances in one global virtual-time order on shared links: with one instance the shared links
 * change nothing; with two, a load another instance starts earlier in virtual time slows this
 * instance's load — by exactly what processor sharing says — whichever request the driver hands
 * over first.
 */
class VirtualTimeClusterTest {
  private static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, 64);
  private static final double PCIE = 50e9;

  private static TieredSimulation sim(CostModel cost) {
    return new TieredSimulation(HiCacheConfig.builder().build(), SHAPE, 64 * 64, 64 * 64 * 3, cost, 0, 0,
        MatchTouch.MATCHED_ONLY);
  }

  private static int[] tokens(int from, int n) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) t[i] = from + i;
    return t;
  }

  /** A member's engine belongs to the member's thread: check it from a job. */
  private static void checkInvariants(VirtualTimeCluster cluster, int member, TieredSimulation s) {
    cluster.submit(member, cluster.now(), () -> {
      s.checkInvariants();
      return null;
    }, o -> { });
    cluster.drain();
  }

  @Test void oneInstance_onSharedLinks_servesExactlyAsOnItsOwnLinks() {
    Random rnd = new Random(11);
    List<int[]> prompts = new ArrayList<>();
    List<int[]> history = new ArrayList<>();
    for (int c = 0; c < 12; c++) history.add(new int[0]);
    for (int i = 0; i < 120; i++) {
      int c = rnd.nextInt(history.size());
      int[] p = Arrays.copyOf(history.get(c), history.get(c).length + 200 + rnd.nextInt(600));
      for (int j = history.get(c).length; j < p.length; j++) p[j] = rnd.nextInt(32000);
      history.set(c, p.length > 3000 ? new int[0] : p);
      prompts.add(p);
    }
    List<TieredSimulation.Outcome> alone = new ArrayList<>();
    try (TieredSimulation s = sim(CostModel.link(PCIE, PCIE, 0))) {
      long t = 0;
      for (int[] p : prompts) alone.add(s.submit(t += 3_000_000, p, 0));
    }
    List<TieredSimulation.Outcome> shared = new ArrayList<>();
    SharedLink d2h = new SharedLink("d2h", PCIE), h2d = new SharedLink("h2d", PCIE);
    try (TieredSimulation s = sim(CostModel.shared(d2h, h2d, 0)); VirtualTimeCluster cluster = new VirtualTimeCluster()) {
      cluster.add(s);
      long t = 0;
      for (int[] p : prompts) {
        long at = t += 3_000_000;
        cluster.runUntil(at);
        cluster.submit(0, at, () -> s.submit(at, p, 0), shared::add);
      }
      cluster.drain();
      checkInvariants(cluster, 0, s);
    }
    assertThat(h2d.transfers()).isPositive(); // load-backs did happen
    assertThat(shared).containsExactlyElementsOf(alone);
  }

  /** Each instance caches P, has it evicted to the host by Q, then at its time asks P again (a 10-page load-back). */
  private static long[] loadBackTtft(boolean withB, boolean submitAFirst, long bAt, long aAt) {
    SharedLink d2h = new SharedLink("d2h", PCIE), h2d = new SharedLink("h2d", PCIE);
    CostModel cost = CostModel.shared(d2h, h2d, 0);
    try (TieredSimulation a = sim(cost); TieredSimulation b = sim(cost); VirtualTimeCluster cluster = new VirtualTimeCluster()) {
      cluster.add(a);
      cluster.add(b);
      long[] ttft = new long[2];
      for (int i = 0; i < (withB ? 2 : 1); i++) {
        TieredSimulation s = i == 0 ? a : b;
        int base = i * 1_000_000;
        int member = i;
        cluster.submit(member, 0, () -> s.submit(0, tokens(base, 640), 0), o -> { });
        cluster.submit(member, 100_000_000, () -> s.submit(100_000_000, tokens(base + 500_000, 64 * 60), 0), o -> { });
      }
      cluster.runUntil(500_000_000);
      int[] pA = Arrays.copyOf(tokens(0, 640), 704);
      int[] pB = Arrays.copyOf(tokens(1_000_000, 640), 704);
      Runnable subA = () -> cluster.submit(0, aAt, () -> a.submit(aAt, pA, 0), o -> ttft[0] = o.readyAtNanos() - aAt);
      Runnable subB = () -> cluster.submit(1, bAt, () -> b.submit(bAt, pB, 0), o -> ttft[1] = o.readyAtNanos() - bAt);
      if (submitAFirst) subA.run();
      if (withB) subB.run();
      if (!submitAFirst) subA.run();
      cluster.drain();
      checkInvariants(cluster, 0, a);
      checkInvariants(cluster, 1, b);
      return ttft;
    }
  }

  @Test void aLoadStartedEarlierByAnotherInstance_slowsThisOne_byProcessorSharing_inEitherSubmitOrder() {
    long solo = loadBackTtft(false, true, 0, 1_000_000_000)[0];
    long loadNanos = SharedLink.nanosFor(10 * SHAPE.bytesPerPage(), PCIE);
    assertThat(solo).isEqualTo(loadNanos); // no prefill time: the time to first token is the load
    long d = loadNanos / 4;
    // B's load starts d before A's; A is handed over first, yet its load is shared from its start:
    // B alone for d, both at half speed until B is done at 2S - d, then A alone: A takes 2S - d.
    for (boolean aFirst : new boolean[] {true, false}) {
      long[] ttft = loadBackTtft(true, aFirst, 1_000_000_000 - d, 1_000_000_000);
      assertThat(ttft[0]).isGreaterThan(solo);
      assertThat(ttft[0]).isBetween(2 * loadNanos - d - 2, 2 * loadNanos - d + 2);
      assertThat(ttft[1]).isBetween(2 * loadNanos - d - 2, 2 * loadNanos - d + 2);
    }
  }

  @Test void aFailingJob_reachesTheDriver() {
    SharedLink d2h = new SharedLink("d2h", PCIE), h2d = new SharedLink("h2d", PCIE);
    try (TieredSimulation s = sim(CostModel.shared(d2h, h2d, 0)); VirtualTimeCluster cluster = new VirtualTimeCluster()) {
      cluster.add(s);
      cluster.submit(0, 0, () -> {
        throw new IllegalStateException("boom in a job");
      }, o -> { });
      assertThatThrownBy(cluster::drain).hasMessage("boom in a job");
    }
  }

  @Test void sharedLinks_withoutACluster_failLoudly_whenInstancesActOutOfOrder() {
    SharedLink d2h = new SharedLink("host D->H", PCIE), h2d = new SharedLink("host H->D", PCIE);
    CostModel cost = CostModel.shared(d2h, h2d, 0);
    try (TieredSimulation a = sim(cost); TieredSimulation b = sim(cost)) {
      a.submit(50_000_000, tokens(0, 640), 0); // backs up at 50 ms on the shared link
      assertThatThrownBy(() -> b.submit(0, tokens(7_000, 640), 0)).hasMessageContaining("causality");
    }
  }
}
