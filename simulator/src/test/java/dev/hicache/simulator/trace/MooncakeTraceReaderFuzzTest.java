package dev.hicache.simulator.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;

/**
 * Jazzer: whatever bytes a trace holds, the reader returns valid records or throws a {@link
 * TraceFormatException}, nothing else. Without JAZZER_FUZZ=1 this replays the committed corpus
 * (src/test/resources/.../MooncakeTraceReaderFuzzTestInputs/fuzzRead) as a regression test; with
 * JAZZER_FUZZ=1 it fuzzes (docs/simulator.md, "Tests of the simulator").
 */
class MooncakeTraceReaderFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void fuzzRead(byte[] data) throws IOException {
    try (MooncakeTraceReader reader = MooncakeTraceReader.of(data, "fuzz.jsonl")) {
      TraceRecord r = new TraceRecord();
      long lines = 0;
      while (reader.next(r)) {
        lines++;
        assertThat(r.line()).isEqualTo(lines);
        assertThat(r.inputLength()).isBetween(1, MooncakeTraceReader.MAX_LENGTH);
        assertThat(r.outputLength()).isBetween(0, MooncakeTraceReader.MAX_LENGTH);
        assertThat(r.timestamp()).isBetween(0L, MooncakeTraceReader.MAX_VALUE);
        assertThat(r.hashIdCount()).isEqualTo((r.inputLength() + 511) / 512);
        for (int i = 0; i < r.hashIdCount(); i++) {
          assertThat(r.hashId(i)).isBetween(0L, MooncakeTraceReader.MAX_VALUE);
        }
      }
    } catch (TraceFormatException e) {
      assertThat(e.getMessage()).startsWith("fuzz.jsonl:");
      assertThat(e.line()).isPositive();
    }
  }
}
