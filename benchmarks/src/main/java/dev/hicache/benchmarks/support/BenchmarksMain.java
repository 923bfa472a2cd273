package dev.hicache.benchmarks.support;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The benchmarks jar's entry point: JMH's own {@code org.openjdk.jmh.Main}, with Chronicle Map's JVM
 * flags (the parent pom's {@code hicache.chronicle.jvmArgs}, written into {@code
 * /hicache-jvm.properties} by the build) prepended to every fork's JVM options, so that the flags are
 * defined in one place and the embedded L3 store's benchmarks fork a JVM it can run in. A {@code
 * -jvmArgsPrepend} on the command line replaces them (JMH keeps one value per option). Running
 * {@code org.openjdk.jmh.Main} directly leaves them out.
 */
public final class BenchmarksMain {
  private BenchmarksMain() {}

  public static void main(String[] args) throws Exception {
    org.openjdk.jmh.Main.main(withChronicleFlags(args, chronicleJvmArgs()));
  }

  /** {@code args} with {@code -jvmArgsPrepend FLAGS} in front, unless they already set it. */
  static String[] withChronicleFlags(String[] args, String flags) {
    for (String a : args) {
      if (a.equals("-jvmArgsPrepend") || a.startsWith("-jvmArgsPrepend=")) return args;
    }
    // The attached form: a separate value starting with "--" would read as an option.
    List<String> all = new ArrayList<>(List.of("-jvmArgsPrepend=" + flags));
    all.addAll(Arrays.asList(args));
    return all.toArray(String[]::new);
  }

  static String chronicleJvmArgs() throws IOException {
    Properties p = new Properties();
    try (InputStream in = BenchmarksMain.class.getResourceAsStream("/hicache-jvm.properties")) {
      if (in == null) throw new IllegalStateException("/hicache-jvm.properties is missing from the benchmarks jar");
      p.load(in);
    }
    String flags = p.getProperty("chronicle.jvmArgs", "").strip();
    if (flags.isEmpty() || flags.contains("${")) {
      throw new IllegalStateException("/hicache-jvm.properties has no filtered chronicle.jvmArgs: " + flags);
    }
    return flags;
  }
}
