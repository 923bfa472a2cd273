package dev.hicache.l3.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Starts {@link L3ChildMain} in a JVM of its own (same java, classpath and Chronicle flags). Its
 * stdout goes to a file, not a pipe: what a killed process wrote to a file is all there, whereas
 * the JDK may close a pipe of an exited process before a reader has drained it.
 */
final class L3ChildProcess implements AutoCloseable {
  final Process process;
  private final Path stdout;

  /** Runs {@code args}; stdout goes to a fresh file in {@code folder}, stderr is appended to {@code errors}. */
  L3ChildProcess(Path folder, Path errors, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    String flags = System.getProperty("hicache.chronicle.jvmArgs", "");
    for (String f : flags.trim().split("\\s+")) if (!f.isEmpty()) cmd.add(f);
    cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        L3ChildMain.class.getName()));
    cmd.addAll(Arrays.asList(args));
    stdout = Files.createTempFile(folder, "child-", ".out");
    process = new ProcessBuilder(cmd).redirectOutput(stdout.toFile())
        .redirectError(ProcessBuilder.Redirect.appendTo(errors.toFile())).start();
  }

  /** Complete lines only: each ends in " ." so that a line cut by a kill is not taken. */
  List<String> lines() {
    try {
      return Files.readAllLines(stdout, StandardCharsets.US_ASCII).stream().filter(l -> l.endsWith(" .")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean said(String prefix) {
    return lines().stream().anyMatch(l -> l.startsWith(prefix));
  }

  /** Kills the process (SIGKILL) and waits for it to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  void awaitExit() throws InterruptedException {
    process.waitFor();
  }

  @Override public void close() throws InterruptedException {
    if (process.isAlive()) kill();
  }
}
