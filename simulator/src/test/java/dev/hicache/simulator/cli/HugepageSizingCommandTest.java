package dev.hicache.simulator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code hicache hugepage-sizing} passes its arguments, output and exit code through untouched. */
class HugepageSizingCommandTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void upstreamCleanArenaCase_exitsZero_withTheReferenceLines() {
    Run r = run("hugepage-sizing", "--tp-size", "4", "--hicache-size", "64gb", "--global-segment-size", "8gb",
        "--arena-pool-size", "56gb", "--available-hugetlb", "512gb");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("Mooncake HiCache HugeTLB sizing summary\n\ntp-size:                4\n")
        .contains("clean arena / total:    512.00 GiB\n").contains("Status: clean arena budget available\n")
        .contains("sudo sysctl -w vm.nr_hugepages=262144");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void statusExitCodes_andBadInput64_passThrough() {
    assertThat(run("hugepage-sizing", "--tp-size", "4", "--hicache-size", "64gb", "--global-segment-size", "8gb",
        "--arena-pool-size", "56gb", "--available-hugetlb", "320gb").code()).isEqualTo(1);
    Run tp = run("hugepage-sizing", "--tp-size", "-1", "--hicache-size", "1gb", "--global-segment-size", "1gb",
        "--available-hugetlb", "4gb");
    assertThat(tp.code()).isEqualTo(64);
    assertThat(tp.err()).isEqualTo("error: tp_size must be positive\n");
  }

  @Test
  void syntaxErrors_keepTheScriptsWordingAndExit2() {
    Run r = run("hugepage-sizing", "--tp-size", "1", "--hicache-size", "-1gb", "--global-segment-size", "1gb");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip().lines().reduce((a, b) -> b).orElseThrow())
        .isEqualTo("hicache hugepage-sizing: error: argument --hicache-size: expected one argument");
  }

  @Test
  void jsonAndAbbreviations_reachThePort() {
    Run r = run("hugepage-sizing", "--tp", "2", "--hicache", "1gb", "--global", "1gb", "--avail", "4gb", "--format", "json");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("\"status\": \"clean_arena_budget_available\"").contains("\"baseline_total_bytes\": 4294967296");
  }

  @Test
  void help_isThePortsOwn() {
    Run r = run("hugepage-sizing", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("usage: hicache hugepage-sizing").contains("--available-hugetlb");
  }
}
