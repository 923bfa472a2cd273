package dev.hicache.simulator;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Data handed to the project in {@code ../shared} beside the repository root, never committed: the
 * tests read it from there and are skipped, saying where they looked, when it is absent (CI has it;
 * a fresh clone elsewhere may not).
 */
public final class SharedData {
  private SharedData() { }

  /** The repository root (the build passes it; a test run from the module's folder finds it as ..). */
  public static Path repositoryRoot() {
    return Path.of(System.getProperty("hicache.home", ".."));
  }

  /**
   * Where Mooncake's FAST'25 conversation trace is looked for: {@code -Dhicache.trace=FILE}, else
   * {@code ../shared/traces/conversation_trace.jsonl} beside the repository root.
   */
  public static Path conversationTracePath() {
    String p = System.getProperty("hicache.trace");
    if (p != null && !p.isBlank()) return Path.of(p);
    return repositoryRoot().resolve("../shared/traces/conversation_trace.jsonl");
  }

  /** The conversation trace; skips the calling test when it is absent. */
  public static Path conversationTrace() {
    Path p = conversationTracePath();
    assumeTrue(Files.isRegularFile(p), () -> "Mooncake's conversation trace is not at "
        + p.toAbsolutePath().normalize() + " (data handed to the project, never committed: put it there or pass"
        + " -Dhicache.trace=FILE)");
    return p;
  }
}
