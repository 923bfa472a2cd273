package dev.hicache.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PageKeyTest {
  @Test
  void words_areTheDigestsBigEndianEightByteGroups() {
    qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
      byte[] d = new byte[PageKey.BYTES];
      new SplittableRandom(seed).nextBytes(d);
      PageKey k = PageKey.ofDigest(d);
      ByteBuffer be = ByteBuffer.wrap(d);
      for (int i = 0; i < 4; i++) assertThat(k.word(i)).as("word %d", i).isEqualTo(be.getLong(8 * i));
      assertThat(k.word(0)).isEqualTo(k.toInt64());
    });
  }

  @Test
  void ofWords_givesBackTheKeyOfThoseWords() {
    qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
      byte[] d = new byte[PageKey.BYTES];
      new SplittableRandom(seed).nextBytes(d);
      PageKey k = PageKey.ofDigest(d);
      PageKey w = PageKey.ofWords(k.word(0), k.word(1), k.word(2), k.word(3));
      assertThat(w).isEqualTo(k).hasSameHashCodeAs(k);
      assertThat(w.bytes()).isEqualTo(d);
    });
  }

  @Test
  void aWordOutsideTheKey_isRejectedNamingIt() {
    PageKey k = PageKey.ofDigest(new byte[PageKey.BYTES]);
    assertThatThrownBy(() -> k.word(4)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("4");
    assertThatThrownBy(() -> k.word(-1)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("-1");
  }
}
