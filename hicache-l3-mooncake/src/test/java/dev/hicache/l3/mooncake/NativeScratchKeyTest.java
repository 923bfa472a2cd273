package dev.hicache.l3.mooncake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@link NativeScratch#key} copies first and checks the copied bytes eight at a time: it must
 * accept and refuse exactly what {@link CStrings#checkKey} does, and write exactly the key.
 */
class NativeScratchKeyTest {
  /** Chars near every edge the check has: controls, space, '?', '~', DEL, Latin-1, surrogates. */
  private static final char[] EDGES = {0, 1, 0x1f, ' ', '!', '>', '?', '@', 'a', '~', 0x7f, 0x80, 0xa0, 0xff, 0x100,
      0x3f3f, 0x7e7e, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffd, 0xffff};

  @Test
  void acceptsAndRefusesExactlyWhatTheCharCheckDoes_andWritesTheKey() {
    qt().withExamples(20_000).forAll(
        lists().of(integers().between(0, EDGES.length + 40)).ofSizeBetween(1, 40),
        integers().between(0, 3))
        .checkAssert((codes, mostlyPrintable) -> {
          StringBuilder b = new StringBuilder();
          for (int c : codes) {
            // mostly printable ASCII ('a'..'h' and the edges), so that valid keys are common too
            if (c >= EDGES.length) b.append((char) ('a' + c % 8));
            else if (mostlyPrintable > 0 && c % 4 != 0) b.append((char) ('A' + c));
            else b.append(EDGES[c]);
          }
          String key = b.toString();
          boolean valid;
          try {
            CStrings.checkKey(key);
            valid = true;
          } catch (MooncakeException e) {
            valid = false;
          }
          if (valid) {
            var seg = NativeScratch.begin().key(key);
            assertThat(seg.getString(0, StandardCharsets.US_ASCII)).isEqualTo(key);
          } else {
            assertThatThrownBy(() -> NativeScratch.begin().key(key)).as("key %s", escaped(key))
                .isInstanceOf(MooncakeException.class);
          }
        });
  }

  @Test
  void anUnpairedSurrogateIsRefused_notSentAsAQuestionMark() {
    assertThatThrownBy(() -> NativeScratch.begin().key("page_\ud800_k")).isInstanceOf(MooncakeException.InvalidString.class)
        .hasMessageContaining("U+D800");
    assertThat(NativeScratch.begin().key("page_?_k").getString(0, StandardCharsets.US_ASCII)).isEqualTo("page_?_k");
  }

  @Test
  void everyBadByteIsFound_atEveryPositionOfLongKeys() {
    String good = "0123456789abcdef".repeat(6) + "_0_k"; // 100 chars: 12 words and an overlapping tail
    for (char bad : new char[] {0, 0x1f, 0x7f, 0x80, 0xff, 0x100, 0xd800, 0xdfff}) {
      for (int at = 0; at < good.length(); at++) {
        String key = good.substring(0, at) + bad + good.substring(at + 1);
        assertThatThrownBy(() -> NativeScratch.begin().key(key)).as("U+%04X at %d", (int) bad, at)
            .isInstanceOf(MooncakeException.class);
      }
    }
    assertThat(NativeScratch.begin().key(good).getString(0, StandardCharsets.US_ASCII)).isEqualTo(good);
  }

  private static String escaped(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) b.append(c >= 0x20 && c <= 0x7e ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    return b.toString();
  }
}
