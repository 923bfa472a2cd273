package dev.hicache.simulator.cli;

import dev.hicache.l2.sizing.HugepageSizing;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code ./hicache hugepage-sizing}: Mooncake's HugeTLB sizing check, ported in hicache-l2-host
 * ({@link HugepageSizing}). Its arguments pass through untouched, because the port reproduces the
 * reference script's own argument parsing, messages and exit codes (0, 1, 2; 64 for a bad size),
 * which scripts depend on; {@code hugepage-sizing --help} shows its options.
 */
@Command(
    name = "hugepage-sizing",
    description = {
      "Check whether this machine's HugeTLB pool can hold a HiCache + Mooncake launch (a port of Mooncake's"
          + " check_hicache_hugepage_requirements.py), and print the hugepages to reserve.",
      "Options: --tp-size N --hicache-size SIZE --global-segment-size SIZE [--arena-pool-size SIZE]"
          + " [--hugepage-size SIZE] [--available-hugetlb SIZE] [--format text|json]; see hugepage-sizing --help."
    })
public final class HugepageSizingCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Unmatched List<String> args = new ArrayList<>();

  @Override public Integer call() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = HugepageSizing.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    spec.commandLine().getOut().print(out.toString(StandardCharsets.UTF_8));
    spec.commandLine().getOut().flush();
    spec.commandLine().getErr().print(err.toString(StandardCharsets.UTF_8));
    spec.commandLine().getErr().flush();
    return exit;
  }
}
