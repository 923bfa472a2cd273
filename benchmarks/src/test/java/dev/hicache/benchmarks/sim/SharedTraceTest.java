package dev.hicache.benchmarks.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedTraceTest {
  @Test void theProperty_wins(@TempDir Path dir) throws IOException {
    Path t = Files.writeString(dir.resolve("t.jsonl"), "{}\n");
    assertThat(SharedTrace.conversationTrace(t.toString(), "/nonexistent")).isEqualTo(t);
  }

  @Test void withoutTheProperty_itIsBesideTheRepositoryRoot(@TempDir Path dir) throws IOException {
    Path root = Files.createDirectories(dir.resolve("repo"));
    Path t = Files.createDirectories(dir.resolve("shared/traces")).resolve("conversation_trace.jsonl");
    Files.writeString(t, "{}\n");
    assertThat(SharedTrace.conversationTrace(null, root.toString()).toAbsolutePath().normalize()).isEqualTo(t);
  }

  @Test void absent_failsNamingThePathAndTheProperty(@TempDir Path dir) {
    Path missing = dir.resolve("none.jsonl");
    assertThatThrownBy(() -> SharedTrace.conversationTrace(missing.toString(), "."))
        .isInstanceOf(UncheckedIOException.class).hasMessageContaining(missing.toString())
        .hasMessageContaining("-Dhicache.trace=FILE");
    assertThatThrownBy(() -> SharedTrace.conversationTrace(null, dir.resolve("repo").toString()))
        .hasMessageContaining(dir.resolve("shared/traces/conversation_trace.jsonl").toString())
        .hasMessageContaining("-Dhicache.trace");
  }
}
