package dev.hicache.l1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FifoPageAllocatorTest {

  @Test
  void alloc_wholePages_pageAlignedConsecutiveRuns() {
    FifoPageAllocator a = new FifoPageAllocator(8, 4);
    int[] s = a.alloc(12);
    assertThat(s).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    assertThat(a.availableTokens()).isEqualTo(20);
    assertThat(a.alloc(24)).isNull();
    assertThat(a.availableTokens()).isEqualTo(20);
  }

  @Test
  void free_returnsPagesToTail_andTheyComeBackLast() {
    FifoPageAllocator a = new FifoPageAllocator(3, 2);
    int[] first = a.alloc(2);
    a.free(first);
    assertThat(a.alloc(6)).containsExactly(2, 3, 4, 5, 0, 1);
  }

  @Test
  void free_notAllocatedOrDuplicated_throwsAndChangesNothing() {
    FifoPageAllocator a = new FifoPageAllocator(4, 2);
    int[] s = a.alloc(4);
    assertThatThrownBy(() -> a.free(new int[] {0, 1, 4, 5})).hasMessageContaining("page 2");
    assertThat(a.isAllocated(0)).isTrue();
    assertThatThrownBy(() -> a.free(new int[] {0, 1, 0, 1})).hasMessageContaining("twice");
    assertThat(a.availableTokens()).isEqualTo(4);
    a.free(s);
    assertThatThrownBy(() -> a.free(s)).hasMessageContaining("not allocated");
  }

  @Test
  void pagesOf_brokenRuns_nameTheSlot() {
    assertThatThrownBy(() -> FifoPageAllocator.pagesOf(new int[] {4, 5, 6}, 2, 16, "x")).hasMessageContaining("multiple");
    assertThatThrownBy(() -> FifoPageAllocator.pagesOf(new int[] {1, 2}, 2, 16, "x")).hasMessageContaining("slot 1");
    assertThatThrownBy(() -> FifoPageAllocator.pagesOf(new int[] {4, 6}, 2, 16, "x")).hasMessageContaining("expected 5");
    assertThatThrownBy(() -> FifoPageAllocator.pagesOf(new int[] {16, 17}, 2, 16, "x")).hasMessageContaining("slot 16");
    assertThat(FifoPageAllocator.pagesOf(new int[] {6, 7, 0, 1}, 2, 16, "x")).containsExactly(3, 0);
  }

  @Test
  void alloc_notPageMultiple_throws() {
    assertThatThrownBy(() -> new FifoPageAllocator(4, 4).alloc(3)).isInstanceOf(IllegalArgumentException.class);
  }
}
