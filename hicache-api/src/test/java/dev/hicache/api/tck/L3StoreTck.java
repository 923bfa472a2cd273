package dev.hicache.api.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Exception;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * The contract every {@link L3Store} backend must keep (the L3 TCK). A backend's test subclasses
 * it and supplies {@link #newStore()}; every property runs against generated pages
 * (QuickTheories), so a failure prints the smallest batch that breaks the contract and the seed
 * to replay it ({@code -DQT_SEED=...}).
 *
 * <p>What it checks: round trips byte for byte over pages of one to {@link #maxParts()} parts of
 * different sizes; a second set of a present page is skipped and reported stored; {@code
 * batchExists} counts only the leading run of present pages; batches over {@value
 * L3Store#MAX_BATCH_PAGES} pages are rejected; remove and clear; concurrent use from several
 * threads never returns a torn or foreign page; bad arguments are rejected before anything is
 * written; a target part smaller than the stored part reports the page absent instead of
 * truncating it.
 *
 * <p>Example counts: {@code -Dhicache.tck.examples=N} (default {@link #examples()}), and {@code
 * -Dhicache.tck.concurrentOps=N} operations per thread in the concurrency property.
 */
public abstract class L3StoreTck {

  /** The store under test; fresh and empty for each test method. */
  protected L3Store store;

  private final AtomicLong nextKey = new AtomicLong();
  private final long keyNonce = new SplittableRandom().nextLong();

  /** A fresh, empty store. It is closed after each test method. */
  protected abstract L3Store newStore() throws Exception;

  /** The largest part the generated pages use; a backend with bounded pages lowers it. */
  protected int maxPartBytes() {
    return 4096;
  }

  /** The most parts a generated page has (K and V, plus a sidecar). */
  protected int maxParts() {
    return 3;
  }

  /** Examples per property. */
  protected int examples() {
    return Integer.getInteger("hicache.tck.examples", 40);
  }

  /** Operations per thread in {@link #concurrentUse_neverReturnsATornOrForeignPage()}. */
  protected int concurrentOpsPerThread() {
    return Integer.getInteger("hicache.tck.concurrentOps", 400);
  }

  protected int concurrentThreads() {
    return 4;
  }

  /**
   * Whether a page's parts are written as one: then a page read back whole is exactly one version
   * that some thread set. A store whose parts are separate objects without multi-object atomicity
   * (Mooncake: put-if-absent per object, no transactions) answers false: two writers of different
   * bytes under one page key can leave part 0 of one and part 1 of the other. Its concurrent
   * property then checks every part on its own (each part exactly that part of some version set
   * for that key: never torn, never another key's), and whole-page consistency is the engine's
   * page checksum's job (docs/behaviour.md#page-checksums). Page keys are content addresses, so
   * the engine's writers of one key write the same bytes.
   */
  protected boolean partsWrittenAtomically() {
    return true;
  }

  /**
   * Where one example's page buffers come from; closed when the example ends. A zero-copy backend
   * that reads and writes only registered memory returns an {@link Arena} that carves its
   * segments out of a registered region.
   */
  protected Arena exampleArena() {
    return Arena.ofShared();
  }

  /**
   * Whether the backend takes heap segments as page buffers (see the {@link L3Store} contract); a
   * zero-copy backend that moves only registered memory says no.
   */
  protected boolean acceptsHeapBuffers() {
    return true;
  }

  @BeforeEach
  public void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  public void closeStore() {
    if (store != null) store.close();
  }

  // ---------------------------------------------------------------- generated pages

  /** A page before it has a key: its part sizes and a seed for its bytes. */
  protected record PageSpec(int[] partSizes, long contentSeed) {
    @Override public String toString() {
      return "PageSpec" + Arrays.toString(partSizes) + "#" + Long.toHexString(contentSeed);
    }
  }

  /** A page with its key and bytes. The bytes depend on the key too, so swapped pages show. */
  protected record Page(PageKey key, byte[][] parts) {
    static Page of(PageKey key, int[] sizes, long seed) {
      SplittableRandom r = new SplittableRandom(seed ^ key.toInt64() * 0x9E3779B97F4A7C15L);
      byte[][] parts = new byte[sizes.length][];
      for (int i = 0; i < sizes.length; i++) {
        parts[i] = new byte[sizes[i]];
        r.nextBytes(parts[i]);
      }
      return new Page(key, parts);
    }

    MemorySegment[] source(Arena arena) {
      MemorySegment[] out = new MemorySegment[parts.length];
      for (int i = 0; i < parts.length; i++) {
        out[i] = arena.allocate(parts[i].length, 64);
        MemorySegment.copy(parts[i], 0, out[i], ValueLayout.JAVA_BYTE, 0, parts[i].length);
      }
      return out;
    }

    MemorySegment[] target(Arena arena) {
      MemorySegment[] out = new MemorySegment[parts.length];
      for (int i = 0; i < parts.length; i++) out[i] = arena.allocate(parts[i].length, 64);
      return out;
    }

    MemorySegment[] heapSource() {
      MemorySegment[] out = new MemorySegment[parts.length];
      for (int i = 0; i < parts.length; i++) out[i] = MemorySegment.ofArray(parts[i].clone());
      return out;
    }

    MemorySegment[] heapTarget() {
      MemorySegment[] out = new MemorySegment[parts.length];
      for (int i = 0; i < parts.length; i++) out[i] = MemorySegment.ofArray(new byte[parts[i].length]);
      return out;
    }

    boolean matches(MemorySegment[] target) {
      if (target.length != parts.length) return false;
      for (int i = 0; i < parts.length; i++) {
        if (target[i].byteSize() != parts[i].length) return false;
        if (!Arrays.equals(target[i].toArray(ValueLayout.JAVA_BYTE), parts[i])) return false;
      }
      return true;
    }
  }

  protected Gen<int[]> partSizes() {
    return lists().of(integers().between(1, maxPartBytes())).ofSizeBetween(1, maxParts())
        .map(l -> l.stream().mapToInt(Integer::intValue).toArray());
  }

  protected Gen<PageSpec> pageSpecs() {
    return partSizes().zip(longs().all(), PageSpec::new);
  }

  protected Gen<List<PageSpec>> batches(int min, int max) {
    return lists().of(pageSpecs()).ofSizeBetween(min, max);
  }

  /** A key no other page of this test run has. */
  protected PageKey freshKey() {
    long id = nextKey.getAndIncrement();
    byte[] d = new byte[PageKey.BYTES];
    SplittableRandom r = new SplittableRandom(keyNonce + id * 0xBF58476D1CE4E5B9L);
    r.nextBytes(d);
    return PageKey.ofDigest(d);
  }

  protected List<Page> materialize(List<PageSpec> specs) {
    List<Page> pages = new ArrayList<>(specs.size());
    for (PageSpec s : specs) pages.add(Page.of(freshKey(), s.partSizes(), s.contentSeed()));
    return pages;
  }

  private static List<PageKey> keys(List<Page> pages) {
    return pages.stream().map(Page::key).toList();
  }

  private static List<MemorySegment[]> sources(List<Page> pages, Arena arena) {
    return pages.stream().map(p -> p.source(arena)).toList();
  }

  private static List<MemorySegment[]> targets(List<Page> pages, Arena arena) {
    return pages.stream().map(p -> p.target(arena)).toList();
  }

  private void removeAll(List<Page> pages) {
    for (Page p : pages) store.remove(p.key());
  }

  private static boolean[] filled(int n, boolean v) {
    boolean[] b = new boolean[n];
    Arrays.fill(b, v);
    return b;
  }

  // ---------------------------------------------------------------- properties

  @Test
  public void name_andCapabilities_areDeclared() {
    assertThat(store.name()).isNotBlank();
    assertThat(store.capabilities()).isNotNull();
  }

  @Test
  public void batchSet_thenBatchGet_roundTripsEveryByte() {
    qt().withExamples(examples()).forAll(batches(1, L3Store.MAX_BATCH_PAGES)).checkAssert(specs -> {
      List<Page> pages = materialize(specs);
      try (Arena arena = exampleArena()) {
        assertThat(store.batchSet(keys(pages), sources(pages, arena))).containsExactly(filled(pages.size(), true));
        assertThat(store.batchExists(keys(pages))).isEqualTo(pages.size());
        List<MemorySegment[]> targets = targets(pages, arena);
        assertThat(store.batchGet(keys(pages), targets)).containsExactly(filled(pages.size(), true));
        for (int i = 0; i < pages.size(); i++) {
          assertThat(pages.get(i).matches(targets.get(i))).as("page %d of %d reads back byte for byte", i, pages.size()).isTrue();
        }
      } finally {
        removeAll(pages);
      }
    });
  }

  @Test
  public void heapPageBuffers_roundTripEveryByte() {
    assumeTrue(acceptsHeapBuffers(), "this backend moves only registered memory");
    qt().withExamples(examples()).forAll(batches(1, L3Store.MAX_BATCH_PAGES)).checkAssert(specs -> {
      List<Page> pages = materialize(specs);
      try {
        List<MemorySegment[]> sources = pages.stream().map(Page::heapSource).toList();
        assertThat(store.batchSet(keys(pages), sources)).containsExactly(filled(pages.size(), true));
        List<MemorySegment[]> targets = pages.stream().map(Page::heapTarget).toList();
        assertThat(store.batchGet(keys(pages), targets)).containsExactly(filled(pages.size(), true));
        for (int i = 0; i < pages.size(); i++) {
          assertThat(pages.get(i).matches(targets.get(i))).as("page %d of %d reads back byte for byte", i, pages.size()).isTrue();
        }
      } finally {
        removeAll(pages);
      }
    });
  }

  @Test
  public void singlePageDefaults_agreeWithTheBatchCalls() {
    qt().withExamples(examples()).forAll(pageSpecs()).checkAssert(spec -> {
      Page page = materialize(List.of(spec)).getFirst();
      try (Arena arena = exampleArena()) {
        assertThat(store.exists(page.key())).isFalse();
        assertThat(store.set(page.key(), page.source(arena))).isTrue();
        assertThat(store.exists(page.key())).isTrue();
        MemorySegment[] target = page.target(arena);
        assertThat(store.get(page.key(), target)).isTrue();
        assertThat(page.matches(target)).isTrue();
      } finally {
        removeAll(List.of(page));
      }
    });
  }

  @Test
  public void batchSet_pageAlreadyPresent_isSkippedAndReportedStored() {
    qt().withExamples(examples()).forAll(pageSpecs(), longs().all()).checkAssert((spec, otherSeed) -> {
      Page first = materialize(List.of(spec)).getFirst();
      Page second = Page.of(first.key(), spec.partSizes(), otherSeed + 1 == spec.contentSeed() ? otherSeed : otherSeed + 1);
      try (Arena arena = exampleArena()) {
        assertThat(store.batchSet(List.of(first.key()), List.<MemorySegment[]>of(first.source(arena)))).containsExactly(true);
        assertThat(store.batchSet(List.of(second.key()), List.<MemorySegment[]>of(second.source(arena))))
            .as("a second set of a present page reports it stored").containsExactly(true);
        MemorySegment[] target = first.target(arena);
        assertThat(store.batchGet(List.of(first.key()), List.<MemorySegment[]>of(target))).containsExactly(true);
        assertThat(first.matches(target)).as("the second set was skipped: the first bytes remain").isTrue();
      } finally {
        removeAll(List.of(first));
      }
    });
  }

  @Test
  public void batchSet_sameKeyTwiceInOneBatch_storesOneWholePage() {
    qt().withExamples(examples()).forAll(pageSpecs(), longs().all()).checkAssert((spec, otherSeed) -> {
      Page a = materialize(List.of(spec)).getFirst();
      Page b = Page.of(a.key(), spec.partSizes(), otherSeed);
      try (Arena arena = exampleArena()) {
        assertThat(store.batchSet(List.of(a.key(), b.key()), List.of(a.source(arena), b.source(arena))))
            .containsExactly(true, true);
        MemorySegment[] target = a.target(arena);
        assertThat(store.get(a.key(), target)).isTrue();
        assertThat(a.matches(target) || b.matches(target)).as("one of the two pages, whole").isTrue();
      } finally {
        removeAll(List.of(a));
      }
    });
  }

  /**
   * A page asked for more than once in one read: every occurrence that reports true holds the
   * whole page. (Mooncake fills only the last buffer given for a key that appears twice in one
   * batch read and still reports success for each, so a backend must read such a key once.)
   */
  @Test
  public void batchGet_sameKeyMoreThanOnceInOneBatch_fillsEveryTarget() {
    Gen<List<Integer>> picks = lists().of(integers().between(0, 1000)).ofSizeBetween(2, 24);
    qt().withExamples(examples()).forAll(batches(1, 6), picks).checkAssert((specs, pick) -> {
      List<Page> pages = materialize(specs);
      List<Page> asked = new ArrayList<>();
      for (int i : pick) asked.add(pages.get(i % pages.size()));
      asked.add(asked.getFirst()); // at least one repeat
      try (Arena arena = exampleArena()) {
        assertThat(store.batchSet(keys(pages), sources(pages, arena))).containsExactly(filled(pages.size(), true));
        List<MemorySegment[]> targets = targets(asked, arena);
        boolean[] got = store.batchGet(keys(asked), targets);
        assertThat(got).containsExactly(filled(asked.size(), true));
        for (int i = 0; i < asked.size(); i++) {
          assertThat(asked.get(i).matches(targets.get(i)))
              .as("occurrence %d of %d (a repeated key) holds the whole page", i, asked.size()).isTrue();
        }
      } finally {
        removeAll(pages);
      }
    });
  }

  /** {@link L3Store#removePage} says what happened, and a page kept as in use is still whole. */
  @Test
  public void removePage_saysRemovedAbsentOrInUse_andAPageKeptInUseIsWhole() {
    qt().withExamples(examples()).forAll(pageSpecs(), booleans().all()).checkAssert((spec, readFirst) -> {
      Page page = materialize(List.of(spec)).getFirst();
      try (Arena arena = exampleArena()) {
        assertThat(store.removePage(page.key())).isEqualTo(L3Store.Removal.ABSENT);
        assertThat(store.set(page.key(), page.source(arena))).isTrue();
        if (readFirst) assertThat(store.get(page.key(), page.target(arena))).isTrue();
        L3Store.Removal r = store.removePage(page.key());
        assertThat(r).isIn(L3Store.Removal.REMOVED, L3Store.Removal.IN_USE);
        MemorySegment[] target = page.target(arena);
        if (r == L3Store.Removal.REMOVED) {
          assertThat(store.exists(page.key())).isFalse();
          assertThat(store.get(page.key(), target)).isFalse();
        } else {
          assertThat(store.get(page.key(), target)).as("a page kept as in use is still there").isTrue();
          assertThat(page.matches(target)).as("and whole").isTrue();
        }
      } finally {
        removeAll(List.of(page));
      }
    });
  }

  /**
   * One thread removes pages and stores new versions of them while others read them. A read that
   * reports true holds one whole version that was set for that key: removal must never pull a
   * page out from under a reader (Mooncake's forced remove ignores the read lease and does).
   */
  @Test
  public void remove_whileOthersRead_neverHandsAReaderATornOrForeignPage() throws Exception {
    int keyCount = 4;
    int rounds = concurrentOpsPerThread();
    long seed = new SplittableRandom().nextLong();
    PageKey[] keys = new PageKey[keyCount];
    int[][] sizes = new int[keyCount][];
    List<Set<Long>> setVersions = new ArrayList<>();
    for (int k = 0; k < keyCount; k++) {
      keys[k] = freshKey();
      int a = Math.max(Long.BYTES, Math.min(maxPartBytes(), 4096 - 64 * k));
      sizes[k] = maxParts() >= 2 ? new int[] {a, Math.max(1, Math.min(maxPartBytes(), 2048 + 64 * k))} : new int[] {a};
      setVersions.add(ConcurrentHashMap.newKeySet());
    }
    try (Arena arena = exampleArena()) {
      for (int k = 0; k < keyCount; k++) {
        setVersions.get(k).add((long) k);
        assertThat(store.set(keys[k], versioned(keys[k], sizes[k], k).source(arena))).isTrue();
      }
    }
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    AtomicLong verifiedGets = new AtomicLong();
    AtomicLong reads = new AtomicLong();
    java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < Math.max(1, concurrentThreads() - 1); t++) {
      final int id = t;
      readers.add(Thread.ofPlatform().name("tck-reader-" + t).start(() -> {
        try {
          while (writing.get()) {
            try (Arena arena = exampleArena()) {
              List<MemorySegment[]> dst = new ArrayList<>();
              for (int k = 0; k < keyCount; k++) dst.add(Page.of(keys[k], sizes[k], 0).target(arena));
              boolean[] got = store.batchGet(Arrays.asList(keys), dst);
              reads.incrementAndGet();
              for (int k = 0; k < keyCount; k++) {
                if (!got[k]) continue;
                long v = dst.get(k)[0].get(VERSION, 0);
                if (!setVersions.get(k).contains(v) || !versioned(keys[k], sizes[k], v).matches(dst.get(k))) {
                  violations.add("reader " + id + ", key " + k + ": a page that no thread set (version " + Long.toHexString(v) + ")");
                } else {
                  verifiedGets.incrementAndGet();
                }
              }
            }
          }
        } catch (Throwable e) {
          violations.add("reader " + id + " failed: " + e);
        }
      }));
    }
    try {
      SplittableRandom r = new SplittableRandom(seed);
      long version = 1L << 40;
      // At least `rounds` rewrites, and on until the readers have read a while (reads may be slow).
      long deadline = System.nanoTime() + 20_000_000_000L;
      for (int op = 0; op < rounds || (reads.get() < 64 && System.nanoTime() < deadline); op++) {
        int k = r.nextInt(keyCount);
        store.removePage(keys[k]);
        long v = ++version;
        setVersions.get(k).add(v);
        try (Arena arena = exampleArena()) {
          store.set(keys[k], versioned(keys[k], sizes[k], v).source(arena));
        }
      }
    } finally {
      writing.set(false);
      for (Thread t : readers) t.join();
    }
    assertThat(violations).as("seed %d", seed).isEmpty();
    assertThat(verifiedGets.get()).as("the readers read pages back (else the property is empty)").isPositive();
  }

  @Test
  public void batchExists_countsOnlyTheLeadingRunOfPresentPages() {
    Gen<List<Boolean>> masks = lists().of(booleans().all()).ofSizeBetween(1, L3Store.MAX_BATCH_PAGES);
    qt().withExamples(examples()).forAll(masks, pageSpecs()).checkAssert((mask, spec) -> {
      List<Page> pages = new ArrayList<>();
      List<Page> present = new ArrayList<>();
      for (int i = 0; i < mask.size(); i++) {
        Page p = Page.of(freshKey(), spec.partSizes(), spec.contentSeed() + i);
        pages.add(p);
        if (mask.get(i)) present.add(p);
      }
      int leadingRun = mask.indexOf(false) < 0 ? mask.size() : mask.indexOf(false);
      try (Arena arena = exampleArena()) {
        assertThat(store.batchSet(keys(present), sources(present, arena))).containsExactly(filled(present.size(), true));
        assertThat(store.batchExists(keys(pages))).as("leading run of %s", mask).isEqualTo(leadingRun);
        // Any suffix starts its own run: a gap stops it, later present pages do not count.
        int from = mask.size() / 2;
        List<Boolean> tail = mask.subList(from, mask.size());
        int tailRun = tail.indexOf(false) < 0 ? tail.size() : tail.indexOf(false);
        assertThat(store.batchExists(keys(pages).subList(from, pages.size()))).isEqualTo(tailRun);
      } finally {
        removeAll(present);
      }
    });
  }

  @Test
  public void batchGet_mixedPresence_reportsEachPageOnItsOwn() {
    Gen<List<Boolean>> masks = lists().of(booleans().all()).ofSizeBetween(1, 64);
    qt().withExamples(examples()).forAll(masks, pageSpecs()).checkAssert((mask, spec) -> {
      List<Page> pages = new ArrayList<>();
      List<Page> present = new ArrayList<>();
      for (int i = 0; i < mask.size(); i++) {
        Page p = Page.of(freshKey(), spec.partSizes(), spec.contentSeed() + i);
        pages.add(p);
        if (mask.get(i)) present.add(p);
      }
      try (Arena arena = exampleArena()) {
        store.batchSet(keys(present), sources(present, arena));
        List<MemorySegment[]> targets = targets(pages, arena);
        boolean[] got = store.batchGet(keys(pages), targets);
        assertThat(got).hasSize(pages.size());
        for (int i = 0; i < pages.size(); i++) {
          assertThat(got[i]).as("page %d present=%s", i, mask.get(i)).isEqualTo(mask.get(i));
          if (got[i]) assertThat(pages.get(i).matches(targets.get(i))).isTrue();
        }
      } finally {
        removeAll(present);
      }
    });
  }

  @Test
  public void batches_overTheLimit_areRejectedAndLeaveNothingWritten() {
    try (Arena arena = exampleArena()) {
      List<Page> pages = new ArrayList<>();
      for (int i = 0; i <= L3Store.MAX_BATCH_PAGES; i++) pages.add(Page.of(freshKey(), new int[] {8, 16}, i));
      List<Page> limit = pages.subList(0, L3Store.MAX_BATCH_PAGES);
      assertThatThrownBy(() -> store.batchExists(keys(pages))).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.batchSet(keys(pages), sources(pages, arena))).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.batchGet(keys(pages), targets(pages, arena))).isInstanceOf(IllegalArgumentException.class);
      assertThat(store.exists(pages.getFirst().key())).as("a rejected batch wrote nothing").isFalse();
      assertThat(store.batchSet(keys(limit), sources(limit, arena))).containsExactly(filled(limit.size(), true));
      assertThat(store.batchExists(keys(limit))).isEqualTo(L3Store.MAX_BATCH_PAGES);
      assertThat(store.batchGet(keys(limit), targets(limit, arena))).containsExactly(filled(limit.size(), true));
    }
  }

  @Test
  public void emptyBatches_areAnsweredEmpty() {
    assertThat(store.batchExists(List.of())).isZero();
    assertThat(store.batchGet(List.of(), List.of())).isEmpty();
    assertThat(store.batchSet(List.of(), List.of())).isEmpty();
  }

  @Test
  public void remove_dropsOnlyThatPage() {
    qt().withExamples(examples()).forAll(batches(2, 24), integers().between(0, 1000)).checkAssert((specs, pick) -> {
      List<Page> pages = materialize(specs);
      int victim = pick % pages.size();
      try (Arena arena = exampleArena()) {
        store.batchSet(keys(pages), sources(pages, arena));
        PageKey gone = pages.get(victim).key();
        assertThat(store.remove(gone)).as("remove of a present page").isTrue();
        assertThat(store.remove(gone)).as("remove of an absent page").isFalse();
        assertThat(store.exists(gone)).isFalse();
        assertThat(store.get(gone, pages.get(victim).target(arena))).isFalse();
        assertThat(store.batchExists(keys(pages))).isEqualTo(victim);
        List<MemorySegment[]> targets = targets(pages, arena);
        boolean[] got = store.batchGet(keys(pages), targets);
        for (int i = 0; i < pages.size(); i++) {
          assertThat(got[i]).isEqualTo(i != victim);
          if (i != victim) assertThat(pages.get(i).matches(targets.get(i))).isTrue();
        }
        // A removed page can be stored again, with other bytes.
        Page again = Page.of(gone, specs.get(victim).partSizes(), specs.get(victim).contentSeed() + 1);
        assertThat(store.set(gone, again.source(arena))).isTrue();
        MemorySegment[] t = again.target(arena);
        assertThat(store.get(gone, t)).isTrue();
        assertThat(again.matches(t)).isTrue();
      } finally {
        removeAll(pages);
      }
    });
  }

  @Test
  public void clear_dropsEveryPage_andTheStoreStaysUsable() {
    qt().withExamples(Math.max(1, examples() / 4)).forAll(batches(1, 64)).checkAssert(specs -> {
      List<Page> pages = materialize(specs);
      try (Arena arena = exampleArena()) {
        store.batchSet(keys(pages), sources(pages, arena));
        store.clear();
        assertThat(store.batchExists(keys(pages))).isZero();
        for (Page p : pages) assertThat(store.exists(p.key())).isFalse();
        assertThat(store.batchGet(keys(pages), targets(pages, arena))).containsExactly(filled(pages.size(), false));
        assertThat(store.batchSet(keys(pages), sources(pages, arena))).containsExactly(filled(pages.size(), true));
        assertThat(store.batchExists(keys(pages))).isEqualTo(pages.size());
      } finally {
        removeAll(pages);
      }
    });
  }

  @Test
  public void batchGet_targetPartSmallerThanStored_reportsThePageAbsentNotTruncated() {
    Gen<int[]> sizesWithRoom = partSizes().map(s -> {
      int[] c = s.clone();
      if (c[0] < 2) c[0] = 2;
      return c;
    });
    qt().withExamples(examples()).forAll(sizesWithRoom, integers().between(0, 100), integers().between(1, 1 << 20), longs().all())
        .checkAssert((sizes, partPick, shrinkBy, seed) -> {
          Page page = Page.of(freshKey(), sizes, seed);
          int part = partPick % sizes.length;
          if (sizes[part] < 2) part = 0;
          try (Arena arena = exampleArena()) {
            assertThat(store.set(page.key(), page.source(arena))).isTrue();
            MemorySegment[] small = page.target(arena);
            long smaller = Math.max(1, sizes[part] - 1 - (shrinkBy % (sizes[part] - 1)));
            small[part] = arena.allocate(smaller, 64);
            assertThat(store.get(page.key(), small))
                .as("part %d stored with %d bytes, target %d bytes", part, sizes[part], smaller).isFalse();
            MemorySegment[] exact = page.target(arena);
            assertThat(store.get(page.key(), exact)).as("the page itself is intact").isTrue();
            assertThat(page.matches(exact)).isTrue();
          } finally {
            removeAll(List.of(page));
          }
        });
  }

  @Test
  public void badArguments_areRejected_andLeaveNothingWritten() {
    try (Arena arena = exampleArena()) {
      Page good = Page.of(freshKey(), new int[] {32, 64}, 1);
      Page other = Page.of(freshKey(), new int[] {32, 64}, 2);
      List<Object> errors = new ArrayList<>();
      List<PageKey> withNull = Arrays.asList(good.key(), null);
      MemorySegment[] noParts = new MemorySegment[0];
      MemorySegment[] nullPart = {arena.allocate(32), null};

      errors.add(catchThrowable(() -> store.batchExists(null)));
      errors.add(catchThrowable(() -> store.batchExists(withNull)));
      errors.add(catchThrowable(() -> store.batchGet(List.of(good.key()), null)));
      errors.add(catchThrowable(() -> store.batchSet(List.of(good.key()), null)));
      errors.add(catchThrowable(() -> store.batchSet(null, List.<MemorySegment[]>of(good.source(arena)))));
      errors.add(catchThrowable(() -> store.batchSet(withNull, List.of(good.source(arena), other.source(arena)))));
      errors.add(catchThrowable(() -> store.batchSet(List.of(good.key(), other.key()), List.<MemorySegment[]>of(good.source(arena)))));
      errors.add(catchThrowable(() -> store.batchGet(List.of(good.key(), other.key()), List.<MemorySegment[]>of(good.target(arena)))));
      errors.add(catchThrowable(() -> store.batchSet(List.of(good.key(), other.key()), List.of(good.source(arena), noParts))));
      errors.add(catchThrowable(() -> store.batchSet(List.of(good.key(), other.key()), List.of(good.source(arena), nullPart))));
      errors.add(catchThrowable(() -> store.batchSet(List.of(good.key(), other.key()), Arrays.asList(good.source(arena), null))));
      errors.add(catchThrowable(() -> store.batchGet(List.of(good.key()), List.<MemorySegment[]>of(noParts))));
      errors.add(catchThrowable(() -> store.remove(null)));
      errors.add(catchThrowable(() -> store.exists(null)));
      errors.add(catchThrowable(() -> store.set(null, good.source(arena))));
      errors.add(catchThrowable(() -> store.get(null, good.target(arena))));
      for (int i = 0; i < errors.size(); i++) {
        assertThat(errors.get(i)).as("bad call #%d", i).isInstanceOf(IllegalArgumentException.class);
      }
      assertThat(store.exists(good.key())).as("no page of a rejected batch was written").isFalse();
      assertThat(store.exists(other.key())).isFalse();
    }
  }

  @Test
  public void close_isIdempotent_andAClosedStoreFailsLoudly() {
    store.close();
    store.close();
    Throwable t = catchThrowable(() -> store.batchExists(List.of(freshKey())));
    assertThat(t).as("a call on a closed store").isNotNull();
    assertThat(t).isInstanceOfAny(IllegalStateException.class, L3Exception.class);
  }

  /**
   * Several threads set, get, test and remove an overlapping set of keys. Every page's bytes are a
   * function of its key and a version written in its first bytes, so a get that returns true must
   * hold exactly one version that some thread set for that key: never a mix of two versions, never
   * another key's page, never a page cut short.
   */
  @Test
  public void concurrentUse_neverReturnsATornOrForeignPage() throws Exception {
    int threads = concurrentThreads();
    int ops = concurrentOpsPerThread();
    int keyCount = 12;
    long seed = new SplittableRandom().nextLong();
    PageKey[] keys = new PageKey[keyCount];
    int[][] sizes = new int[keyCount][];
    List<Set<Long>> setVersions = new ArrayList<>();
    for (int k = 0; k < keyCount; k++) {
      keys[k] = freshKey();
      int a = Math.max(Long.BYTES, Math.min(maxPartBytes(), 64 + 97 * k));
      sizes[k] = maxParts() >= 2 ? new int[] {a, Math.max(1, Math.min(maxPartBytes(), 3000 - 200 * k))} : new int[] {a};
      setVersions.add(ConcurrentHashMap.newKeySet());
    }
    // Without atomic pages: every part's bytes as set, per key and part (content equality).
    boolean atomic = partsWrittenAtomically();
    List<List<Set<java.nio.ByteBuffer>>> setParts = new ArrayList<>();
    for (int k = 0; k < keyCount; k++) {
      List<Set<java.nio.ByteBuffer>> perPart = new ArrayList<>();
      for (int j = 0; j < sizes[k].length; j++) perPart.add(ConcurrentHashMap.newKeySet());
      setParts.add(perPart);
    }
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    AtomicLong verifiedGets = new AtomicLong();
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      final int id = t;
      workers.add(Thread.ofPlatform().name("tck-worker-" + t).start(() -> {
        SplittableRandom r = new SplittableRandom(seed + id);
        long version = (long) id << 40;
        try {
          start.await();
          for (int op = 0; op < ops; op++) {
            int n = 1 + r.nextInt(6);
            List<Integer> picked = new ArrayList<>();
            for (int i = 0; i < n; i++) picked.add(r.nextInt(keyCount));
            List<PageKey> batchKeys = picked.stream().map(k -> keys[k]).toList();
            try (Arena arena = exampleArena()) {
              switch (r.nextInt(10)) {
                case 0, 1, 2 -> {
                  List<MemorySegment[]> src = new ArrayList<>();
                  for (int k : picked) {
                    long v = ++version;
                    setVersions.get(k).add(v);
                    Page page = versioned(keys[k], sizes[k], v);
                    if (!atomic) {
                      for (int j = 0; j < page.parts().length; j++) setParts.get(k).get(j).add(java.nio.ByteBuffer.wrap(page.parts()[j]));
                    }
                    src.add(page.source(arena));
                  }
                  store.batchSet(batchKeys, src);
                }
                case 3, 4, 5, 6 -> {
                  List<MemorySegment[]> dst = new ArrayList<>();
                  for (int k : picked) dst.add(Page.of(keys[k], sizes[k], 0).target(arena));
                  boolean[] got = store.batchGet(batchKeys, dst);
                  for (int i = 0; i < got.length; i++) {
                    if (!got[i]) continue;
                    int k = picked.get(i);
                    long v = dst.get(i)[0].get(VERSION, 0);
                    String bad = atomic ? (!setVersions.get(k).contains(v) || !versioned(keys[k], sizes[k], v).matches(dst.get(i))
                        ? "a page that no thread set (version " + Long.toHexString(v) + ")" : null)
                        : partNoThreadSet(setParts.get(k), dst.get(i));
                    if (bad != null) {
                      violations.add("key " + k + ": " + bad);
                    } else {
                      verifiedGets.incrementAndGet();
                    }
                  }
                }
                case 7, 8 -> {
                  int run = store.batchExists(batchKeys);
                  if (run < 0 || run > batchKeys.size()) violations.add("batchExists returned " + run + " for " + batchKeys.size() + " keys");
                }
                default -> store.remove(batchKeys.getFirst());
              }
            }
          }
        } catch (Throwable e) {
          violations.add("thread " + id + " failed: " + e);
        }
      }));
    }
    for (Thread w : workers) w.join();
    // At rest, every present page is one whole version.
    try (Arena arena = exampleArena()) {
      for (int k = 0; k < keyCount; k++) {
        MemorySegment[] dst = Page.of(keys[k], sizes[k], 0).target(arena);
        if (store.get(keys[k], dst)) {
          long v = dst[0].get(VERSION, 0);
          if (atomic ? !setVersions.get(k).contains(v) || !versioned(keys[k], sizes[k], v).matches(dst)
              : partNoThreadSet(setParts.get(k), dst) != null) {
            violations.add("at rest, key " + k + " holds a page no thread set");
          }
        }
      }
    }
    assertThat(violations).as("seed %d", seed).isEmpty();
    assertThat(verifiedGets.get()).as("the threads read pages back (else the property is empty)").isPositive();
  }

  /** The first part of {@code got} that is not exactly that part of a page some thread set, or null. */
  private static String partNoThreadSet(List<Set<java.nio.ByteBuffer>> setParts, MemorySegment[] got) {
    for (int j = 0; j < got.length; j++) {
      if (!setParts.get(j).contains(java.nio.ByteBuffer.wrap(got[j].toArray(ValueLayout.JAVA_BYTE)))) {
        return "part " + j + " is not that part of any page a thread set (torn or another key's)";
      }
    }
    return null;
  }

  private static final ValueLayout.OfLong VERSION = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** A page whose first 8 bytes are its version and whose remaining bytes follow from key and version. */
  private static Page versioned(PageKey key, int[] sizes, long version) {
    Page p = Page.of(key, sizes, version);
    long v = version;
    for (int i = 0; i < Long.BYTES; i++) {
      p.parts()[0][i] = (byte) v; // little-endian, as VERSION reads it
      v >>>= 8;
    }
    return p;
  }
}
