package dev.hicache.l3.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The heap-array checksum (the process-private store's page image) equals the segment one (the slot). */
class SlotChecksumTest {
  @Test
  void heapAndSegmentChecksums_agree_andCoverEveryByte() {
    qt().withExamples(200).forAll(longs().all(), integers().between(0, 700), integers().between(0, 64))
        .checkAssert((seed, len, off) -> {
          byte[] b = new byte[off + len + 8];
          new SplittableRandom(seed).nextBytes(b);
          long heap = SlotChecksum.of(b, off, len);
          assertThat(heap).isEqualTo(SlotChecksum.of(MemorySegment.ofArray(b).asSlice(off, len)));
          if (len > 0) {
            b[off + len / 2] ^= 1;
            assertThat(SlotChecksum.of(b, off, len)).isNotEqualTo(heap);
          }
        });
  }
}
