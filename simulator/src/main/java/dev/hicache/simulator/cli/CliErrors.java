package dev.hicache.simulator.cli;

import dev.hicache.simulator.trace.TraceFormatException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/** How the command line reports errors: one clear line on stderr and a sysexits code. */
final class CliErrors {
  private CliErrors() {}

  static int usageError(ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println("hicache: " + ex.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
    err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for the options.");
    err.flush();
    return Main.EX_USAGE;
  }

  static int executionError(Exception ex, CommandLine cl, ParseResult parsed) {
    PrintWriter err = cl.getErr();
    Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    int code;
    String msg;
    if (t instanceof TraceFormatException tf) {
      code = Main.EX_DATAERR;
      msg = tf.getMessage();
    } else if (t instanceof NoSuchFileException nf) {
      code = Main.EX_NOINPUT;
      msg = nf.getFile() + ": no such file";
    } else if (t instanceof AccessDeniedException ad) {
      code = Main.EX_NOINPUT;
      msg = ad.getFile() + ": permission denied";
    } else if (t instanceof FileNotFoundException fnf) {
      code = Main.EX_NOINPUT;
      msg = fnf.getMessage();
    } else if (t instanceof IOException io) {
      code = Main.EX_IOERR;
      msg = "I/O error: " + io;
    } else if (t instanceof InputFileException ife) {
      code = Main.EX_NOINPUT;
      msg = ife.getMessage();
    } else if (t instanceof UsageException ue) {
      code = Main.EX_USAGE;
      msg = ue.getMessage();
    } else {
      code = Main.EX_SOFTWARE;
      msg = "internal error: " + t;
      t.printStackTrace(err);
    }
    err.println("hicache: " + msg);
    err.flush();
    return code;
  }

  static int exitCode(Throwable t) {
    return t instanceof ParameterException ? Main.EX_USAGE : Main.EX_SOFTWARE;
  }

  /** A flag combination found invalid after parsing; the message names the flag and value. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }

  /** An input file named by a flag that cannot be read (missing, a directory, a device): exit 66. */
  static final class InputFileException extends RuntimeException {
    InputFileException(String message) {
      super(message);
    }
  }
}
