package dev.hicache.core.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.spi.EvictionCandidate;
import dev.hicache.api.spi.EvictionPolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvictionPoliciesTest {

  record Candidate(long lastAccessTime, long creationTime, long hitCount, int priority, long id)
      implements EvictionCandidate {}

  static List<Long> order(EvictionPolicy p, Candidate... cs) {
    List<Candidate> l = new ArrayList<>(List.of(cs));
    l.sort(p.order());
    return l.stream().map(Candidate::id).toList();
  }

  @Test
  void byName_everyBuiltIn_isFound() {
    for (String n : List.of("lru", "lfu", "fifo", "mru", "filo", "priority", "slru")) {
      assertThat(EvictionPolicies.byName(n).flagName()).isEqualTo(n);
    }
    assertThat(EvictionPolicies.DEFAULT.flagName()).isEqualTo("lru");
  }

  @Test
  void byName_unknown_namesTheFlagAndTheValue() {
    assertThatThrownBy(() -> EvictionPolicies.byName("LRU2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--radix-eviction-policy")
        .hasMessageContaining("'LRU2'")
        .hasMessageContaining("lru, lfu, fifo, mru, filo, priority, slru");
  }

  @Test
  void lru_oldestAccessFirst_tiesByIdAscending() {
    assertThat(order(BuiltinEvictionPolicy.LRU,
        new Candidate(5, 0, 0, 0, 1), new Candidate(3, 0, 0, 0, 2), new Candidate(3, 0, 0, 0, 0)))
        .containsExactly(0L, 2L, 1L);
  }

  @Test
  void lfu_fewestHitsFirst_thenOldestAccess() {
    assertThat(order(BuiltinEvictionPolicy.LFU,
        new Candidate(1, 0, 5, 0, 1), new Candidate(9, 0, 1, 0, 2), new Candidate(2, 0, 1, 0, 3)))
        .containsExactly(3L, 2L, 1L);
  }

  @Test
  void fifoAndFilo_anyAccessTime_orderByCreationTime() {
    Candidate a = new Candidate(9, 1, 0, 0, 1), b = new Candidate(1, 2, 0, 0, 2);
    assertThat(order(BuiltinEvictionPolicy.FIFO, b, a)).containsExactly(1L, 2L);
    assertThat(order(BuiltinEvictionPolicy.FILO, a, b)).containsExactly(2L, 1L);
  }

  @Test
  void mru_twoCandidates_newestAccessFirst() {
    assertThat(order(BuiltinEvictionPolicy.MRU, new Candidate(1, 0, 0, 0, 1), new Candidate(2, 0, 0, 0, 2)))
        .containsExactly(2L, 1L);
  }

  @Test
  void priority_lowestPriorityFirst_thenOldestAccess() {
    assertThat(order(BuiltinEvictionPolicy.PRIORITY,
        new Candidate(1, 0, 0, 5, 1), new Candidate(9, 0, 0, 0, 2), new Candidate(3, 0, 0, 0, 3)))
        .containsExactly(3L, 2L, 1L);
  }

  @Test
  void slru_probationarySegmentFirst_thenOldestAccess() {
    assertThat(order(BuiltinEvictionPolicy.SLRU,
        new Candidate(1, 0, 2, 0, 1), new Candidate(9, 0, 1, 0, 2), new Candidate(3, 0, 0, 0, 3),
        new Candidate(0, 0, 7, 0, 4)))
        .containsExactly(3L, 2L, 4L, 1L);
  }
}
