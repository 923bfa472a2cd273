package dev.hicache.simulator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code --pin-system-prompt} (docs/engine-integration.md#cache-control): under an eviction storm —
 * 200 shared prefixes drawn uniformly, each far larger than what L1 and L2 keep between two uses —
 * the system prompt's requests hit it only when the application pins it; the storm's own hit ratio
 * barely moves.
 */
class PinnedSystemPromptTest {
  private static final String[] STORM = {"simulate", "--workload", "synthetic", "--requests", "3000", "--prefixes", "200",
      "--zipf", "0", "--prefix-length", "1024", "--suffix-length", "256", "--output-length", "16", "--instances", "1",
      "--l1-capacity-tokens", "32768", "--l2-capacity-tokens", "65536", "--l3-capacity-tokens", "0", "--format", "json",
      "--no-report", "--sweep", "pin-system-prompt=false,true"};

  /** {requests, token hit ratio} of group {@code group} in one run's JSON. */
  private static double[] group(String json, int group) {
    Matcher m = Pattern.compile("\\{\"group\":" + group + ",\"requests\":(\\d+),\"token_hit_ratio\":([0-9.]+)").matcher(json);
    assertThat(m.find()).as("group " + group + " in " + json).isTrue();
    return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
  }

  private static double field(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\":([0-9.]+)").matcher(json);
    assertThat(m.find()).as(key + " in " + json).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test void underAnEvictionStorm_thePinnedSystemPromptKeepsItsHits() {
    MainTest.Run r = MainTest.run(STORM);
    assertThat(r.code()).as(r.err()).isZero();
    List<String> runs = List.of(r.out().split("\n\\{"));
    assertThat(runs).hasSize(2);
    assertThat(runs.get(0)).contains("\"group_by\":\"system_prompt\"").contains("system prompt (not pinned)");
    assertThat(runs.get(1)).contains("system prompt, pinned");
    double[] plain = group(runs.get(0), 1), pinned = group(runs.get(1), 1);
    assertThat(pinned[0]).as("the same requests carry the system prompt").isEqualTo(plain[0]).isGreaterThan(5);
    // Unpinned, every use finds it evicted; pinned, every use after the first hits its 1024 of 1280 tokens.
    assertThat(plain[1]).as("unpinned system prompt hit ratio").isLessThan(0.2);
    assertThat(pinned[1]).as("pinned system prompt hit ratio").isGreaterThan(0.7).isGreaterThan(plain[1]);
    // The pin holds 1024 of L1's 32768 tokens: the rest of the workload loses little.
    assertThat(group(runs.get(1), 0)[1]).isGreaterThan(group(runs.get(0), 0)[1] - 0.05);
    assertThat(field(runs.get(1), "requests")).isEqualTo(3000);
  }

  @Test void onOtherWorkloads_theFlagIsRefusedByName() {
    MainTest.Run r = MainTest.run("simulate", "--workload", "multiturn", "--pin-system-prompt", "--no-report");
    assertThat(r.code()).isEqualTo(Main.EX_USAGE);
    assertThat(r.err()).contains("--pin-system-prompt").contains("only --workload synthetic reads it");
  }
}
