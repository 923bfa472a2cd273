package dev.hicache.simulator.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Round trips and robustness of the reader over generated records and formattings. */
class MooncakeTraceReaderPropertiesTest {

  /** One record rendered as a JSON line with the formatting choices of {@code fmt}. */
  static String render(long ts, int in, int out, List<Long> ids, int fmt) {
    Random rnd = new Random(fmt);
    String ws = switch (rnd.nextInt(4)) {
      case 0 -> "";
      case 1 -> " ";
      case 2 -> "  \t";
      default -> "\r";
    };
    List<String> fields = new ArrayList<>();
    fields.add("\"timestamp\"" + ws + ":" + ws + ts);
    fields.add("\"input_length\":" + ws + in);
    fields.add("\"output_length\":" + out);
    StringBuilder arr = new StringBuilder("[" + ws);
    for (int i = 0; i < ids.size(); i++) arr.append(i == 0 ? "" : "," + ws).append(ids.get(i));
    fields.add("\"hash_ids\":" + arr + ws + "]");
    if (rnd.nextBoolean()) fields.add("\"session_id\":\"s-" + rnd.nextInt(100) + "\"");
    if (rnd.nextBoolean()) fields.add("\"meta\":{\"x\":[1,-2.5e+3,\"]}\\\"\",null,false]}");
    Collections.shuffle(fields, rnd);
    return ws + "{" + ws + String.join("," + ws, fields) + ws + "}" + ws;
  }

  @Test
  void renderedRecords_readBackExactly() {
    qt().withExamples(300).forAll(
            longs().between(0, MooncakeTraceReader.MAX_VALUE - 1),
            lists().of(longs().between(0, MooncakeTraceReader.MAX_VALUE)).ofSizeBetween(1, 40),
            integers().between(1, 512),
            integers().all())
        .checkAssert((ts, ids, tail, fmt) -> {
          int in = (ids.size() - 1) * 512 + tail;
          String text = render(ts, in, fmt & 0xFFFF, ids, fmt) + "\n" + render(ts + 1, in, 7, ids, ~fmt);
          List<TraceRecord> recs = read(text.getBytes(StandardCharsets.UTF_8));
          assertThat(recs).hasSize(2);
          TraceRecord r = recs.get(0);
          assertThat(r.timestamp()).isEqualTo(ts);
          assertThat(r.inputLength()).isEqualTo(in);
          assertThat(r.outputLength()).isEqualTo(fmt & 0xFFFF);
          assertThat(r.hashIds()).containsExactly(ids.stream().mapToLong(Long::longValue).toArray());
          assertThat(recs.get(1).timestamp()).isEqualTo(ts + 1);
          assertThat(recs.get(1).line()).isEqualTo(2);
        });
  }

  @Test
  void corruptedRecords_giveRecordsOrATraceFormatErrorOnly() {
    qt().withExamples(2000).forAll(
            lists().of(longs().between(0, 1_000_000)).ofSizeBetween(1, 8),
            integers().between(0, 10_000),
            integers().between(0, 255),
            integers().all())
        .checkAssert((ids, pos, b, fmt) -> {
          int in = ids.size() * 512;
          byte[] bytes = (render(fmt & 0xFFFFF, in, 3, ids, fmt) + "\n").getBytes(StandardCharsets.UTF_8);
          bytes[pos % bytes.length] = (byte) (int) b;
          try {
            for (TraceRecord r : read(bytes)) {
              assertThat(r.inputLength()).isBetween(1, MooncakeTraceReader.MAX_LENGTH);
              assertThat(r.hashIdCount()).isEqualTo((r.inputLength() + 511) / 512);
            }
          } catch (TraceFormatException e) {
            assertThat(e.getMessage()).startsWith("p.jsonl:");
            assertThat(e.line()).isBetween(1L, 3L);
          }
        });
  }

  static List<TraceRecord> read(byte[] bytes) {
    List<TraceRecord> out = new ArrayList<>();
    try (MooncakeTraceReader r = MooncakeTraceReader.of(bytes, "p.jsonl")) {
      TraceRecord rec = new TraceRecord();
      while (r.next(rec)) out.add(rec.copy());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out;
  }
}
