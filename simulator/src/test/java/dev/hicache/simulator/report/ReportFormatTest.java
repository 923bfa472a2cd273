package dev.hicache.simulator.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.simulator.engine.TtftCdf;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's small pieces: sweep values as numbers or categories, byte counts, shell quoting, TTFT groups. */
class ReportFormatTest {
  @Test void sweepValues_numbersOnlyWhenEveryValueIsOne() {
    assertThat(Charts.numbers(List.of("1M", "3M", "10k", "2.5", "1e3"))).containsExactly(1e6, 3e6, 1e4, 2.5, 1e3);
    assertThat(Charts.numbers(List.of("1M", "inf"))).isNull();
    assertThat(Charts.numbers(List.of("write_through", "write_back"))).isNull();
    assertThat(Charts.numbers(List.of("lru", "lfu"))).isNull();
    assertThat(Charts.numbers(List.of("NaN", "1"))).isNull();
    assertThat(Charts.numbers(List.of("3M", "3000000"))).isNull(); // the same point twice
  }

  @Test void bytes_threeSignificantDigitsInDecimalUnits() {
    assertThat(HtmlReport.bytes(0)).isEqualTo("0 B");
    assertThat(HtmlReport.bytes(999)).isEqualTo("999 B");
    assertThat(HtmlReport.bytes(1_000)).isEqualTo("1.00 kB");
    assertThat(HtmlReport.bytes(3_404_000)).isEqualTo("3.40 MB");
    assertThat(HtmlReport.bytes(12_345_000_000L)).isEqualTo("12.3 GB");
    assertThat(HtmlReport.bytes(999_600_000_000L)).isEqualTo("1.00 TB");
    assertThat(HtmlReport.bytes(2_091_650_000_000L)).isEqualTo("2.09 TB");
  }

  @Test void commandLine_quotedAsAShellReadsItBack() {
    assertThat(Provenance.commandLine("./hicache", List.of("simulate", "--sweep", "l1-capacity-tokens=1M,3M")))
        .isEqualTo("./hicache simulate --sweep l1-capacity-tokens=1M,3M");
    assertThat(Provenance.commandLine("./hicache", List.of("--trace", "my trace.jsonl", "--model-file", "it's", "")))
        .isEqualTo("./hicache --trace 'my trace.jsonl' --model-file 'it'\\''s' ''");
    assertThat(Provenance.shellQuote("$HOME")).isEqualTo("'$HOME'");
  }

  @Test void generatedInput_checksumOfTheText() {
    assertThat(Provenance.ofText("x", "abc")).isEqualTo(
        "SHA-256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad of x: abc");
  }

  @Test void ttftGroups_theTierThatServedMost_tiesToTheFasterTier_noHitIsMiss() {
    assertThat(TtftCdf.tierOf(0, 0, 0)).isEqualTo((byte) 3);
    assertThat(TtftCdf.tierOf(10, 5, 5)).isEqualTo((byte) 0);
    assertThat(TtftCdf.tierOf(5, 5, 0)).isEqualTo((byte) 0);
    assertThat(TtftCdf.tierOf(1, 5, 5)).isEqualTo((byte) 1);
    assertThat(TtftCdf.tierOf(1, 2, 5)).isEqualTo((byte) 2);
    long[] ttft = {50, 10, 40, 20, 30};
    byte[] tier = {3, 0, 0, 2, 0};
    TtftCdf cdf = TtftCdf.of(ttft, tier, 5);
    assertThat(cdf.byTier()).extracting(TtftCdf.Curve::name).containsExactly("L1", "L3", "miss");
    assertThat(cdf.byTier()).extracting(TtftCdf.Curve::requests).containsExactly(3L, 1L, 1L);
    long[] l1 = cdf.byTier().get(0).nanos();
    assertThat(l1[0]).isEqualTo(10);
    assertThat(l1[l1.length - 1]).isEqualTo(40);
    assertThat(cdf.all().nanos()[50]).isEqualTo(30); // sorted[int(0.5 x 5)] = sorted[2]
    assertThat(l1).isSorted();
  }
}
