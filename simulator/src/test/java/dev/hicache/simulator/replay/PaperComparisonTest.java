package dev.hicache.simulator.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hicache.simulator.SharedData;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The comparison with the FAST'25 paper in docs/simulator.md (conversation trace): the ideal cache ratio
 * (Table 2: 40 %) and the share of that maximum LRU reaches at a 3 M-token cache (Figure 9: 41 %),
 * by page size. The paper's replay works on the trace's own blocks (512 tokens; its experiments
 * used 256-token blocks), HiCache on 64-token pages; the values here pin what that page states.
 */
class PaperComparisonTest {
  static final double PAPER_IDEAL = 0.40, PAPER_SHARE_AT_3M = 0.41, BAND = 0.03;

  static L1ReplayResult replay(int pageSize, long capacityTokens) throws IOException {
    try (MooncakeTraceReader r = MooncakeTraceReader.open(SharedData.conversationTrace())) {
      return new L1OnlyReplay(pageSize, capacityTokens).replay(r);
    }
  }

  @ParameterizedTest(name = "page size {0}")
  @CsvSource({
      "64,  0.37359, 0.14139, 0.3785, false",
      "128, 0.37356, 0.14216, 0.3805, true",
      "256, 0.37351, 0.14231, 0.3810, true",
      "512, 0.37338, 0.14341, 0.3841, true"})
  void idealAndLruShareAtThreeMillionTokens(int pageSize, double ideal, double lru3m, double share, boolean inBand)
      throws IOException {
    double i = replay(pageSize, L1OnlyReplay.INFINITE).tokenHitRatio();
    double l = replay(pageSize, 3_000_000L).tokenHitRatio();
    assertThat(i).isCloseTo(ideal, within(0.000005));
    assertThat(l).isCloseTo(lru3m, within(0.000005));
    assertThat(l / i).isCloseTo(share, within(0.00005));
    // Table 2's ideal is within 3 points at every page size.
    assertThat(Math.abs(i - PAPER_IDEAL)).isLessThanOrEqualTo(BAND);
    // Figure 9's share: within 3 points at the paper's block sizes, 3.2 points off at 64.
    assertThat(Math.abs(l / i - PAPER_SHARE_AT_3M) <= BAND).isEqualTo(inBand);
  }
}
