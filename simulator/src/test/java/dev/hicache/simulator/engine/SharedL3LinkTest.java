package dev.hicache.simulator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.prefetch.L3CostModel;
import dev.hicache.simulator.model.HardwareProfile;
import dev.hicache.simulator.model.ModelProfile;
import dev.hicache.simulator.workload.SyntheticWorkload;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** One L3 link for all instances: concurrent transfers divide its bandwidth. */
class SharedL3LinkTest {
  @Test
  void concurrentTransfers_divideTheBandwidth_aloneGetsAllOfIt() {
    SharedL3Link link = new SharedL3Link(1e9, 1e9, 0, 1_000_000); // 1 GB/s: a 1 MB page takes 1 ms alone
    long[] clockA = {0}, clockB = {0};
    L3CostModel a = link.forInstance(() -> clockA[0]);
    L3CostModel b = link.forInstance(() -> clockB[0]);
    assertThat(a.writeNanos(1, 24)).isEqualTo(1_000_000);
    assertThat(b.writeNanos(1, 24)).isEqualTo(2_000_000); // shares with a's write
    assertThat(b.readNanos(1, 24)).isEqualTo(1_000_000);  // reads are the other direction
    clockA[0] = 5_000_000; // both writes are over
    assertThat(a.writeNanos(1, 24)).isEqualTo(1_000_000);
    assertThat(link.sharedTransfers()).isEqualTo(1);
    assertThat(a.queryNanos(300)).isZero();
    assertThatThrownBy(() -> new SharedL3Link(0, 1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  private static EngineResult run(boolean shared) throws IOException {
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    HardwareProfile hw = HardwareProfile.preset("h100-box");
    EngineSetup setup = new EngineSetup(HiCacheConfig.builder().pageSize(64).build(), m, hw, 1, m.shape(1, 64),
        64 * 256, 64 * 512, hw.prefillNanosPerToken(m, 1), 0, 4, "round_robin", 1024, 100_000 * 64L, "memory", 0,
        false, shared);
    var w = new SyntheticWorkload(new SyntheticWorkload.Params(400, 50.0, 20, 1.1, 4096, 256, 16, 9));
    try (w) {
      return new EngineReplay(setup).run(w, null);
    }
  }

  @Test
  void sharedLink_slowsL3TrafficOfAClusterDown() throws IOException {
    EngineResult own = run(false);
    EngineResult shared = run(true);
    assertThat(own.sharedL3Transfers()).isZero();
    assertThat(shared.sharedL3Transfers()).isPositive();
    assertThat(shared.l3WritePages()).isPositive();
    // The same work over a slower link: requests are ready no earlier on average.
    assertThat(shared.ttftMean()).isGreaterThanOrEqualTo(own.ttftMean());
  }

  @Test
  void privateLink_chargesTheKvBytesThePagesStandFor_notTheStubs() {
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    HardwareProfile hw = HardwareProfile.preset("h100-box");
    EngineSetup setup = new EngineSetup(HiCacheConfig.builder().pageSize(64).build(), m, hw, 1, m.shape(1, 64),
        64 * 256, 64 * 512, 0, 0);
    long page = m.shape(1, 64).bytesPerPage(); // 8 MiB
    long latency = Math.round(hw.l3LatencyUs() * 1000);
    L3CostModel cost = setup.l3CostModel();
    assertThat(cost.readNanos(10, 10 * 24)).isEqualTo(latency + (long) Math.ceil(10 * page * 1e9 / (hw.l3ReadGBps() * 1e9)));
    assertThat(cost.writeNanos(10, 10 * 24)).isEqualTo(latency + (long) Math.ceil(10 * page * 1e9 / (hw.l3WriteGBps() * 1e9)));
  }
}
