package dev.hicache.simulator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The typed settings: a sweep's {@link SimulationSettings#with} converts a flag's text exactly as
 * the command line does (same typed value, same error), so that a swept value means what the same
 * value given as a flag means; and a sweep runs as many values at once as the heap holds.
 */
class SimulationSettingsTest {
  /** The settings picocli and the command make of these arguments. */
  private static SimulationSettings parsed(String... args) {
    SimulateCommand c = new SimulateCommand();
    CommandLine cl = new CommandLine(c);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.parseArgs(args);
    c.spec = cl.getCommandSpec();
    return c.settings();
  }

  /** Values of each kind of setting, the defaults' neighbours and other spellings among them. */
  private static final Map<String, List<String>> VALUES = Map.ofEntries(
      Map.entry("--page-size", List.of("16", "512")),
      Map.entry("--l1-capacity-tokens", List.of("3M", "1_000", "inf", "12k")),
      Map.entry("--l3-capacity-tokens", List.of("0", "2G")),
      Map.entry("--l3", List.of("memory", "mooncake", "local")),
      Map.entry("--l3-eviction", List.of("w-tinylfu", "lru")),
      Map.entry("--hicache-write-policy", List.of("write_back", "write_through_selective")),
      Map.entry("--hicache-storage-prefetch-policy", List.of("best_effort", "wait_complete")),
      Map.entry("--radix-eviction-policy", List.of("lfu", "slru", "priority")),
      Map.entry("--l3-link", List.of("shared", "private")),
      Map.entry("--pcie-link", List.of("shared")),
      Map.entry("--routing", List.of("round_robin", "random")),
      Map.entry("--kv-dtype", List.of("fp8_e4m3", "FP32")),
      Map.entry("--attention", List.of("mla", "GQA", "mha")),
      Map.entry("--hicache-ratio", List.of("3.5", "1e1")),
      Map.entry("--workload", List.of("synthetic", "TRACE")),
      Map.entry("--arrivals", List.of("asap")),
      Map.entry("--format", List.of("json", "CSV")),
      Map.entry("--seed", List.of("-7", "123456789012")),
      Map.entry("--pin-system-prompt", List.of("true", "FALSE")),
      Map.entry("--instances", List.of("3")),
      Map.entry("--trace", List.of("some/trace.jsonl")),
      Map.entry("--request-rate", List.of("0.25")),
      Map.entry("--sweep-jobs", List.of("1")),
      Map.entry("--page-keys", List.of("tokens", "serial")));

  @Test void with_givesTheSettingsTheCommandLineGives() {
    SimulationSettings base = parsed("--num-clients", "4");
    for (var e : VALUES.entrySet()) {
      for (String v : e.getValue()) {
        SimulationSettings swept = base.with(e.getKey(), v);
        SimulationSettings given = parsed("--num-clients", "4", e.getKey(), v);
        assertThat(swept).as(e.getKey() + " " + v).isEqualTo(given);
      }
    }
  }

  @Test void with_refusesWhatTheCommandLineRefuses_withItsMessage() {
    SimulationSettings base = parsed();
    List<String[]> bad = List.of(new String[] {"--page-size", "x"}, new String[] {"--seed", "1.5"},
        new String[] {"--hicache-ratio", "two"}, new String[] {"--l1-capacity-tokens", "lots"},
        new String[] {"--workload", "chat"}, new String[] {"--format", "xml"}, new String[] {"--tp", "99999999999"},
        new String[] {"--l3", "redis"}, new String[] {"--hicache-write-policy", "write_around"},
        new String[] {"--radix-eviction-policy", "random"}, new String[] {"--routing", "hash"},
        new String[] {"--l3-link", "public"}, new String[] {"--attention", "linear"},
        new String[] {"--kv-dtype", "int4"}, new String[] {"--l3-eviction", "arc"}, new String[] {"--page-keys", "hash"});
    List<String> checked = new ArrayList<>();
    for (String[] a : bad) {
      String expected = commandLineError(a);
      assertThatThrownBy(() -> base.with(a[0], a[1])).as(a[0]).hasMessage(expected);
      checked.add(a[0]);
    }
    assertThat(checked).hasSize(bad.size());
  }

  /** The message the command gives for this flag and value: picocli's, or the settings' converter's. */
  private static String commandLineError(String[] a) {
    try {
      parsed(a);
    } catch (CommandLine.ParameterException e) {
      return e.getMessage();
    } catch (SimulationSettings.InvalidSettingException e) {
      return e.getMessage();
    }
    throw new AssertionError(a[0] + " " + a[1] + " was accepted");
  }

  @Test void with_countsTheFlagAsGiven() {
    SimulationSettings s = parsed("--trace", "t.jsonl").with("--num-clients", "3");
    assertThat(s.given()).contains("--trace", "--num-clients");
    assertThatThrownBy(s::checkApplicable).hasMessage(
        "Option '--num-clients' '3' does not apply here (only --workload multiturn reads it; the workload is trace)");
  }

  @Test void with_refusesASwitch() {
    assertThatThrownBy(() -> parsed().with("--l1-only", "true")).hasMessageContaining("--l1-only is a switch");
    assertThat(SimulationSettings.canVary("--l1-only")).isFalse();
    assertThat(SimulationSettings.canVary("--l1-capacity-tokens")).isTrue();
  }

  @Test void sweepJobs_asManyAsTheHeapHolds() {
    long max = Runtime.getRuntime().maxMemory() / 10 * 9;
    SimulationSettings four = parsed("--sweep-jobs", "4");
    assertThat(SimulateCommand.sweepJobs(four, new long[] {1, 1, 1, 1, 1})).isEqualTo(4);
    assertThat(SimulateCommand.sweepJobs(four, new long[] {1, 1})).isEqualTo(2);
    // Two of the largest runs do not fit together: one at a time (each alone passed its own check).
    assertThat(SimulateCommand.sweepJobs(four, new long[] {max / 3, max * 2 / 3 + 1, max * 2 / 3})).isEqualTo(1);
    assertThat(SimulateCommand.sweepJobs(four, new long[] {max / 3, max / 3, max / 3, max / 3})).isEqualTo(3);
    assertThat(SimulateCommand.sweepJobs(parsed("--sweep-jobs", "1"), new long[] {1, 1, 1})).isEqualTo(1);
  }
}
