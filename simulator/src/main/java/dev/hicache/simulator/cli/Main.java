package dev.hicache.simulator.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./hicache} command line. A new subcommand is one more class in the {@code
 * subcommands} list below.
 *
 * <p>Exit codes follow sysexits.h: 0 success, 64 bad command-line usage (the message names the
 * flag and the value), 65 bad input data (a trace line: {@code FILE:LINE: what was wrong}),
 * 66 an input file that cannot be opened, 70 an internal error, 71 out of memory, 74 an I/O error.
 */
@Command(
    name = "hicache",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "HiCache for the JVM: simulator and tools.",
    subcommands = {
      SimulateCommand.class,
      PageKeysCommand.class,
      HugepageSizingCommand.class,
      CommandLine.HelpCommand.class,
    })
public final class Main implements Runnable {
  public static final int EX_OK = 0;
  public static final int EX_USAGE = 64;
  public static final int EX_DATAERR = 65;
  public static final int EX_NOINPUT = 66;
  public static final int EX_SOFTWARE = 70;
  /** Out of memory despite the up-front checks (sysexits' EX_OSERR). */
  public static final int EX_OSERR = 71;
  public static final int EX_IOERR = 74;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() {
    // No subcommand: show what there is (a usage error, not a silent success).
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams and returns the exit code (tests call this). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    return run(commandLine(), args, out, err);
  }

  /**
   * Runs {@code args} on a command line made by {@link #commandLine()}, which may have run before:
   * picocli resets every option to its initial value before it parses (the CLI fuzz test reuses one,
   * as building it costs more than most runs).
   */
  static int run(CommandLine cl, String[] args, PrintWriter out, PrintWriter err) {
    cl.setOut(out);
    cl.setErr(err);
    try {
      return cl.execute(args);
    } catch (OutOfMemoryError e) {
      // Sizes are checked against the heap up front; this is what the checks could not foresee.
      err.println("hicache: out of memory (" + e.getMessage() + "; this JVM may use "
          + Runtime.getRuntime().maxMemory() / (1L << 20) + " MiB): lower the sizes or give the JVM more, e.g."
          + " HICACHE_JAVA_OPTS=-Xmx8g");
      err.flush();
      return EX_OSERR;
    } catch (StackOverflowError e) {
      err.println("hicache: internal error: stack overflow (please report it with the command line)");
      err.flush();
      return EX_SOFTWARE;
    }
  }

  /** The configured command line: exit codes and error handlers as documented above. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExitCodeExceptionMapper(CliErrors::exitCode);
    cl.setParameterExceptionHandler(CliErrors::usageError);
    cl.setExecutionExceptionHandler(CliErrors::executionError);
    return cl;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"hicache " + (v == null ? "(development build)" : v)
          + " on Java " + Runtime.version()};
    }
  }
}
