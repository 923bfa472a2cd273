package dev.hicache.api.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.PageKey;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The copying batch checks ({@link L3Store#checkBatchInto}, {@link L3Store#checkPageBatchInto}) against
 * the plain ones: the same error (class and message) for every bad batch, none for a good one, and a
 * good batch's keys and pages copied into the arrays, the same objects in the same order.
 */
class L3StoreBatchChecksTest {
  @Test
  void copyingChecks_failAsThePlainOnes_andCopyAGoodBatch() {
    qt().withExamples(2_000).forAll(longs().all()).checkAssert(seed -> {
      SplittableRandom r = new SplittableRandom(seed);
      List<PageKey> keys = keys(r);
      List<MemorySegment[]> pages = pages(r, keys);

      PageKey[] keysOut = new PageKey[L3Store.MAX_BATCH_PAGES];
      MemorySegment[][] pagesOut = new MemorySegment[L3Store.MAX_BATCH_PAGES][];
      Throwable plain = catchThrowable(() -> L3Store.checkPageBatch(keys, pages));
      Throwable copying = catchThrowable(() -> L3Store.checkPageBatchInto(keys, pages, keysOut, pagesOut));
      sameOutcome(plain, copying);
      if (plain == null) {
        for (int i = 0; i < keys.size(); i++) {
          assertThat(keysOut[i]).as("key %d", i).isSameAs(keys.get(i));
          assertThat(pagesOut[i]).as("page %d", i).isSameAs(pages.get(i));
        }
      }

      PageKey[] keysOnly = new PageKey[L3Store.MAX_BATCH_PAGES];
      Throwable plainKeys = catchThrowable(() -> L3Store.checkBatch(keys, null));
      Throwable copyingKeys = catchThrowable(() -> L3Store.checkBatchInto(keys, keysOnly));
      sameOutcome(plainKeys, copyingKeys);
      if (plainKeys == null) {
        for (int i = 0; i < keys.size(); i++) assertThat(keysOnly[i]).as("key %d", i).isSameAs(keys.get(i));
      }
    });
  }

  private static void sameOutcome(Throwable plain, Throwable copying) {
    if (plain == null) {
      assertThat(copying).as("the plain check passed").isNull();
      return;
    }
    assertThat(copying).as("the plain check failed with %s", plain).isNotNull();
    assertThat(copying.getClass()).isEqualTo(plain.getClass());
    assertThat(copying.getMessage()).isEqualTo(plain.getMessage());
  }

  /** Null now and then; otherwise up to a few pages past the limit, a null key now and then. */
  private static List<PageKey> keys(SplittableRandom r) {
    if (r.nextInt(40) == 0) return null;
    int n = r.nextInt(8) == 0 ? r.nextInt(L3Store.MAX_BATCH_PAGES + 4) : r.nextInt(6);
    List<PageKey> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] d = new byte[PageKey.BYTES];
      r.nextBytes(d);
      keys.add(r.nextInt(60) == 0 ? null : PageKey.ofDigest(d));
    }
    return keys;
  }

  /** Null now and then; otherwise one page per key (now and then one more or one fewer), some without parts or with a null part. */
  private static List<MemorySegment[]> pages(SplittableRandom r, List<PageKey> keys) {
    if (r.nextInt(40) == 0) return null;
    int n = (keys == null ? r.nextInt(4) : keys.size()) + (r.nextInt(30) == 0 ? r.nextInt(3) - 1 : 0);
    List<MemorySegment[]> pages = new ArrayList<>();
    for (int i = 0; i < Math.max(0, n); i++) {
      int kind = r.nextInt(80);
      MemorySegment[] parts = kind == 0 ? null : kind == 1 ? new MemorySegment[0] : new MemorySegment[1 + r.nextInt(3)];
      if (parts != null) {
        Arrays.setAll(parts, p -> MemorySegment.ofArray(new byte[8]));
        if (parts.length > 0 && r.nextInt(60) == 0) parts[r.nextInt(parts.length)] = null;
      }
      pages.add(parts);
    }
    return pages;
  }
}
