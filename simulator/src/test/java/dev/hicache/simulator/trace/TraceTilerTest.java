package dev.hicache.simulator.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceTilerTest {
  @TempDir Path dir;

  // Two conversations sharing the first block (id 0), arrivals 0, 3000 and 7000 ms.
  private static final String TRACE = """
      {"timestamp": 0, "input_length": 1100, "output_length": 10, "hash_ids": [0, 1, 2]}
      {"timestamp": 3000, "input_length": 600, "output_length": 20, "hash_ids": [0, 3]}
      {"timestamp": 7000, "input_length": 1600, "output_length": 30, "hash_ids": [0, 1, 2, 4]}
      """;

  private Path trace() throws IOException {
    return Files.writeString(dir.resolve("in.jsonl"), TRACE);
  }

  @Test
  void tile_oneCopy_writesTheTraceBackByteForByte() throws IOException {
    Path out = dir.resolve("out.jsonl");
    TraceTiler.Tiled t = TraceTiler.tile(trace(), out, 1, 64);
    assertThat(Files.readString(out)).isEqualTo(TRACE);
    assertThat(t.requests()).isEqualTo(3);
    assertThat(t.pageReferences()).isEqualTo(1100 / 64 + 600 / 64 + 1600 / 64);
  }

  @Test
  void tile_threeCopies_followOneAnotherWithIdsOfTheirOwnButTheSharedFirstBlock() throws IOException {
    Path out = dir.resolve("out.jsonl");
    TraceTiler.Tiled t = TraceTiler.tile(trace(), out, 3, 64);
    List<TraceRecord> r = MooncakeTraceReaderTest.readAll(Files.readAllBytes(out));
    assertThat(r).hasSize(9);
    assertThat(t.requests()).isEqualTo(9);
    assertThat(t.pageReferences()).isEqualTo(3 * (1100 / 64 + 600 / 64 + 1600 / 64));
    // Period = last arrival + the smallest gap (3000 ms): copy k starts at k x 10,000 ms.
    assertThat(r.stream().map(TraceRecord::timestamp).toList())
        .containsExactly(0L, 3000L, 7000L, 10000L, 13000L, 17000L, 20000L, 23000L, 27000L);
    // Largest id 4: copy k moves ids 1..4 to 4k+1..4k+4; id 0 stays shared.
    assertThat(r.get(3).hashIds()).containsExactly(0, 5, 6);
    assertThat(r.get(5).hashIds()).containsExactly(0, 5, 6, 8);
    assertThat(r.get(8).hashIds()).containsExactly(0, 9, 10, 12);
    for (int i = 0; i < 9; i++) {
      TraceRecord original = r.get(i % 3);
      assertThat(r.get(i).inputLength()).isEqualTo(original.inputLength());
      assertThat(r.get(i).outputLength()).isEqualTo(original.outputLength());
    }
  }

  @Test
  void tile_isDeterministic() throws IOException {
    Path a = dir.resolve("a.jsonl"), b = dir.resolve("b.jsonl");
    TraceTiler.tile(trace(), a, 4, 64);
    TraceTiler.tile(trace(), b, 4, 64);
    assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
  }

  @Test
  void tile_badTrace_failsNamingTheLineAndLeavesNoOutput() throws IOException {
    Path in = Files.writeString(dir.resolve("bad.jsonl"), TRACE + "{\"timestamp\": 1}\n", StandardCharsets.UTF_8);
    Path out = dir.resolve("out.jsonl");
    assertThatThrownBy(() -> TraceTiler.tile(in, out, 2, 64))
        .isInstanceOf(TraceFormatException.class).hasMessageContaining("bad.jsonl:4:");
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("bad.jsonl");
    }
  }

  @Test
  void tile_missingFileOrNoCopies_isRefused() throws IOException {
    assertThatThrownBy(() -> TraceTiler.tile(dir.resolve("none.jsonl"), dir.resolve("o"), 2, 64))
        .isInstanceOf(NoSuchFileException.class).hasMessageContaining("none.jsonl");
    assertThatThrownBy(() -> TraceTiler.tile(trace(), dir.resolve("o"), 0, 64))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("copies");
  }
}
