package dev.hicache.simulator.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a report says about how to reproduce it: the command line as a shell would take it, the
 * folder it ran in (relative paths in it are relative to that), the version, and a checksum of each
 * run's input.
 *
 * @param inputs one line per run, in run order: what the run read (a trace file) or generated (a
 *     workload's parameters and seed) and its SHA-256
 */
public record Provenance(String commandLine, String workingDirectory, String version, List<String> inputs) {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./=:,+@%^-]+");

  public Provenance {
    inputs = List.copyOf(inputs);
  }

  /** {@code program args...}, each argument quoted for a POSIX shell where it needs it. */
  public static String commandLine(String program, List<String> args) {
    StringBuilder sb = new StringBuilder(program);
    for (String a : args) sb.append(' ').append(shellQuote(a));
    return sb.toString();
  }

  /** An argument as a POSIX shell reads it back: as is when it has no special characters, else in single quotes. */
  public static String shellQuote(String arg) {
    if (!arg.isEmpty() && SAFE.matcher(arg).matches()) return arg;
    return "'" + arg.replace("'", "'\\''") + "'";
  }

  /** The input line for a file: its SHA-256, path and size. */
  public static String ofFile(String what, Path file) throws IOException {
    MessageDigest md = sha256();
    long size = 0;
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
        size += n;
      }
    }
    return "SHA-256 " + HexFormat.of().formatHex(md.digest()) + " of " + what + " " + file + " (" + size + " bytes)";
  }

  /** The input line for a generated workload: the SHA-256 of the text that fixes it (parameters and seed), and the text. */
  public static String ofText(String what, String text) {
    return "SHA-256 " + sha256Hex(text) + " of " + what + ": " + text;
  }

  /** SHA-256 of the text's UTF-8 bytes, in hex. */
  public static String sha256Hex(String text) {
    return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
