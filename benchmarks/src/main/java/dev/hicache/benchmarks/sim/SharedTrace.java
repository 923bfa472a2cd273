package dev.hicache.benchmarks.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Mooncake's FAST'25 conversation trace, data handed to the project and never committed: the
 * simulator's benchmarks read it from {@code -Dhicache.trace=FILE}, by default from
 * {@code ../shared/traces/conversation_trace.jsonl} beside the repository root (the working
 * directory, or {@code -Dhicache.home}).
 */
final class SharedTrace {
  static final String PROPERTY = "hicache.trace";

  private SharedTrace() { }

  /** The trace, or an error that names the path looked for and the property that sets it. */
  static Path conversationTrace() {
    return conversationTrace(System.getProperty(PROPERTY), System.getProperty("hicache.home", "."));
  }

  static Path conversationTrace(String property, String home) {
    Path p = property != null && !property.isBlank() ? Path.of(property)
        : Path.of(home).resolve("../shared/traces/conversation_trace.jsonl");
    if (!Files.isRegularFile(p)) {
      throw new UncheckedIOException(new IOException("no conversation trace at " + p.toAbsolutePath().normalize()
          + " (-D" + PROPERTY + "=" + (property != null && !property.isBlank() ? property : "<unset>")
          + "): pass -D" + PROPERTY + "=FILE (Mooncake's FAST25-release/traces/conversation_trace.jsonl), or run from"
          + " the repository root with ../shared/traces beside it"));
    }
    return p;
  }
}
