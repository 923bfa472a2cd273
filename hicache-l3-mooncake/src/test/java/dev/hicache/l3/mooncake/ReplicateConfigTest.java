package dev.hicache.l3.mooncake;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The config struct as C sees it (docs/behaviour.md#replication; Mooncake's Rust binding's conversion tests). */
class ReplicateConfigTest {

  @Test
  void toNative_roundTripsEveryField() {
    qt().forAll(integers().between(1, 8), booleans().all(), booleans().all(),
        lists().of(strings().basicLatinAlphabet().ofLengthBetween(1, 40)).ofSizeBetween(0, 5))
        .checkAssert((replicas, soft, hard, segments) -> {
          List<String> clean = segments.stream().map(s -> s.replace('\0', 'x')).toList();
          try (Arena a = Arena.ofConfined()) {
            MemorySegment c = new ReplicateConfig(replicas, soft, hard, clean).toNative(a);
            assertThat(c.get(JAVA_LONG, 0)).isEqualTo((long) replicas);
            assertThat(c.get(JAVA_INT, 8)).isEqualTo(soft ? 1 : 0);
            assertThat(c.get(JAVA_INT, 12)).isEqualTo(hard ? 1 : 0);
            assertThat(c.get(JAVA_LONG, 24)).isEqualTo((long) clean.size());
            MemorySegment array = c.get(ADDRESS, 16);
            if (clean.isEmpty()) {
              assertThat(array).as("no segments: a NULL pointer").isEqualTo(MemorySegment.NULL);
            } else {
              List<String> back = new ArrayList<>();
              MemorySegment arr = array.reinterpret(ADDRESS.byteSize() * clean.size());
              for (int i = 0; i < clean.size(); i++) back.add(arr.getAtIndex(ADDRESS, i).reinterpret(4096).getString(0));
              assertThat(back).isEqualTo(clean);
            }
          }
        });
  }
}
