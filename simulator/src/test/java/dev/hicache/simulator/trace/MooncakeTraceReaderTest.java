package dev.hicache.simulator.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MooncakeTraceReaderTest {

  static List<TraceRecord> readAll(String text) throws IOException {
    return readAll(text.getBytes(StandardCharsets.UTF_8));
  }

  static List<TraceRecord> readAll(byte[] bytes) throws IOException {
    List<TraceRecord> out = new ArrayList<>();
    try (MooncakeTraceReader r = MooncakeTraceReader.of(bytes, "t.jsonl")) {
      TraceRecord rec = new TraceRecord();
      while (r.next(rec)) out.add(rec.copy());
    }
    return out;
  }

  static String problemOf(String text) {
    try {
      readAll(text);
    } catch (TraceFormatException e) {
      return e.getMessage();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("no error for: " + text);
  }

  @Test
  void next_firstLineOfTheConversationTrace_decodesEveryField() throws IOException {
    List<TraceRecord> recs = readAll("{\"timestamp\": 0, \"input_length\": 6758, \"output_length\": 500, "
        + "\"hash_ids\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]}\n");
    assertThat(recs).hasSize(1);
    TraceRecord r = recs.get(0);
    assertThat(r.timestamp()).isZero();
    assertThat(r.inputLength()).isEqualTo(6758);
    assertThat(r.outputLength()).isEqualTo(500);
    assertThat(r.hashIds()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
    assertThat(r.line()).isEqualTo(1);
  }

  @Test
  void next_fieldsInAnyOrderWithUnknownFieldsAndNoFinalNewline_areRead() throws IOException {
    List<TraceRecord> recs = readAll(
        "{\"session_id\":\"abc \\\"q\\\" \\u00e9\",\"hash_ids\":[7],\"extra\":{\"a\":[1,2.5e-3,true,null,{}]},"
            + "\"output_length\":3,\"input_length\":512,\"timestamp\":42}\r\n"
            + "  { \"timestamp\" : 43 , \"input_length\" : 513 , \"output_length\" : 0 , \"hash_ids\" : [ 7 , 8 ] }  ");
    assertThat(recs).hasSize(2);
    assertThat(recs.get(0).timestamp()).isEqualTo(42);
    assertThat(recs.get(0).hashIds()).containsExactly(7);
    assertThat(recs.get(1).hashIds()).containsExactly(7, 8);
    assertThat(recs.get(1).line()).isEqualTo(2);
  }

  @Test
  void next_emptyInput_hasNoRecords() throws IOException {
    assertThat(readAll("")).isEmpty();
  }

  @Test
  void next_lineLongerThanTheBuffer_isRead() throws IOException {
    int blocks = 30_000; // ~330 KB of hash ids, more than the initial 256 KiB buffer
    StringBuilder sb = new StringBuilder("{\"timestamp\":1,\"input_length\":").append(blocks * 512)
        .append(",\"output_length\":1,\"hash_ids\":[");
    for (int i = 0; i < blocks; i++) sb.append(i == 0 ? "" : ",").append(1_000_000_000L + i);
    sb.append("]}\n{\"timestamp\":2,\"input_length\":1,\"output_length\":1,\"hash_ids\":[5]}\n");
    List<TraceRecord> recs = readAll(sb.toString());
    assertThat(recs).hasSize(2);
    assertThat(recs.get(0).hashIdCount()).isEqualTo(blocks);
    assertThat(recs.get(0).hashId(blocks - 1)).isEqualTo(1_000_000_000L + blocks - 1);
    assertThat(recs.get(1).hashIds()).containsExactly(5);
  }

  @Test
  void next_conversationTrace_matchesItsDocumentedProperties() throws IOException {
    Path trace = dev.hicache.simulator.SharedData.conversationTrace();
    long n = 0, inputSum = 0, refs = 0, maxId = -1, prevTs = -1;
    int minIn = Integer.MAX_VALUE, maxIn = 0;
    try (MooncakeTraceReader r = MooncakeTraceReader.open(trace)) {
      TraceRecord rec = new TraceRecord();
      while (r.next(rec)) {
        n++;
        inputSum += rec.inputLength();
        refs += rec.hashIdCount();
        minIn = Math.min(minIn, rec.inputLength());
        maxIn = Math.max(maxIn, rec.inputLength());
        assertThat(rec.timestamp()).isGreaterThanOrEqualTo(prevTs);
        prevTs = rec.timestamp();
        assertThat(rec.hashId(0)).isZero();
        for (int i = 0; i < rec.hashIdCount(); i++) maxId = Math.max(maxId, rec.hashId(i));
      }
    }
    // the conversation trace's properties (docs/behaviour.md#traces-and-reference-values)
    assertThat(n).isEqualTo(12_031);
    assertThat(prevTs).isEqualTo(3_536_999);
    assertThat(minIn).isEqualTo(891);
    assertThat(maxIn).isEqualTo(126_195);
    assertThat(inputSum).isEqualTo(144_793_823L);
    assertThat(refs).isEqualTo(288_500);
    assertThat(maxId).isEqualTo(182_789);
  }

  private static final String OK = "{\"timestamp\":1,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2]}\n";

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "not json                 | nope                                                                     | expected a JSON object",
      "empty line               | ``                                                                       | empty line",
      "array                    | [1,2]                                                                    | expected a JSON object",
      "missing field            | {\"timestamp\":1,\"input_length\":600,\"hash_ids\":[1,2]}              | missing field \"output_length\"",
      "negative                 | {\"timestamp\":-5,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2]} | must not be negative, got -5",
      "float                    | {\"timestamp\":1.5,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2]} | must be an integer, got 1.5",
      "exponent                 | {\"timestamp\":1e3,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2]} | must be an integer",
      "oversized                | {\"timestamp\":99999999999999999999,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2]} | too large",
      "long input               | {\"timestamp\":1,\"input_length\":16777217,\"output_length\":2,\"hash_ids\":[1,2]} | \"input_length\" is too large",
      "string number            | {\"timestamp\":\"1\",\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2]} | expected an integer",
      "leading zero             | {\"timestamp\":01,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2]} | leading zeros",
      "too few ids              | {\"timestamp\":1,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1]} | hash_ids has 1 entries but input_length 600 needs ceil(600 / 512) = 2",
      "too many ids             | {\"timestamp\":1,\"input_length\":512,\"output_length\":2,\"hash_ids\":[1,2]} | needs ceil(512 / 512) = 1",
      "zero input               | {\"timestamp\":1,\"input_length\":0,\"output_length\":2,\"hash_ids\":[]} | input_length must be at least 1",
      "negative id              | {\"timestamp\":1,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,-2]} | \"hash_ids\" must not be negative",
      "ids not array            | {\"timestamp\":1,\"input_length\":600,\"output_length\":2,\"hash_ids\":7} | must be an array",
      "duplicate field          | {\"timestamp\":1,\"timestamp\":2,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2]} | appears twice",
      "trailing garbage         | {\"timestamp\":1,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2]} x | after the JSON object",
      "unterminated             | {\"timestamp\":1,\"input_length\":600                                   | expected ',' or '}'",
      "unterminated string      | {\"timestamp\":1,\"x\":\"abc                                           | unterminated string",
      "bad escape               | {\"x\":\"a\\qb\",\"timestamp\":1}                                        | bad escape",
      "missing colon            | {\"timestamp\" 1}                                                          | expected ':'",
      "bad literal              | {\"x\":tru,\"timestamp\":1}                                               | expected true",
      "bad number               | {\"x\":-,\"timestamp\":1}                                                 | malformed number",
  })
  void next_malformedSecondLine_namesFileAndLine(String name, String line, String expected) {
    String msg = problemOf(OK + line + "\n" + OK);
    assertThat(msg).startsWith("t.jsonl:2: ").contains(expected);
  }

  @Test
  void next_controlCharacterInString_isRejected() {
    assertThat(problemOf("{\"x\":\"a\u0001b\"}")).startsWith("t.jsonl:1: ").contains("control character 0x1");
  }

  @Test
  void next_deepNesting_isRejectedNotOverflowed() {
    String deep = "[".repeat(10_000);
    assertThat(problemOf("{\"x\":" + deep + "}")).contains("nested deeper");
  }

  @Test
  void next_errorAfterManyLines_countsLines() {
    String text = OK.repeat(1234) + "{}\n";
    assertThatThrownBy(() -> readAll(text))
        .isInstanceOfSatisfying(TraceFormatException.class, e -> {
          assertThat(e.line()).isEqualTo(1235);
          assertThat(e.source()).isEqualTo("t.jsonl");
          assertThat(e.problem()).contains("missing field \"timestamp\"");
        });
  }

  @Test
  void next_otherBlockSize_checksTheIdCountAgainstIt() throws IOException {
    byte[] line = "{\"timestamp\":1,\"input_length\":600,\"output_length\":2,\"hash_ids\":[1,2,3]}"
        .getBytes(StandardCharsets.UTF_8);
    try (MooncakeTraceReader r = new MooncakeTraceReader(new java.io.ByteArrayInputStream(line), "b", 256)) {
      TraceRecord rec = new TraceRecord();
      assertThat(r.next(rec)).isTrue();
      assertThat(rec.hashIdCount()).isEqualTo(3);
    }
  }
}
