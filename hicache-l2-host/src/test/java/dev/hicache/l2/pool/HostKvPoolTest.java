package dev.hicache.l2.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.l2.memory.AllocationOptions;
import dev.hicache.l2.memory.HostMemoryAllocator;
import dev.hicache.l2.memory.KernelFacts;
import dev.hicache.l2.memory.MemoryEnv;
import dev.hicache.l2.memory.PagePath;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HostKvPoolTest {
  private final List<String> events = new ArrayList<>();
  private final HostMemoryAllocator allocator =
      new HostMemoryAllocator(new MemoryEnv(Map.of()), KernelFacts.system(), events::add);

  private HostKvPool pool(KvShape shape, MemLayout layout, int tokens, MemoryRegistrarDouble... registrars) {
    return HostKvPool.create(shape, layout, tokens, allocator, AllocationOptions.defaults(), List.of(registrars));
  }

  /**
   * Where the documented dimension orders (docs/behaviour.md#page-layouts) put item (kv, layer,
   * token) in the whole buffer, computed here independently of LayoutDescriptor.
   */
  static long specBufferOffset(KvShape s, MemLayout layout, int tokens, int kv, int layer, int token) {
    long item = s.itemBytes();
    int L = s.layers();
    int P = s.pageSize();
    return switch (layout) {
      case LAYER_FIRST -> (((long) kv * L + layer) * tokens + token) * item; // (2, layer, token, head, dim)
      case PAGE_FIRST -> (((long) kv * tokens + token) * L + layer) * item; // (2, token, layer, head, dim)
      case PAGE_FIRST_DIRECT -> // (2, page, layer, page_size, head, dim)
          (((((long) kv * (tokens / P) + token / P) * L + layer) * P) + token % P) * item;
    };
  }

  /** Where item (kv, layer, t) of a page sits in the flat page (local layout order, docs/behaviour.md#page-views-for-l3). */
  static long specFlatOffset(KvShape s, MemLayout layout, int kv, int layer, int t) {
    long item = s.itemBytes();
    int L = s.layers();
    int P = s.pageSize();
    return switch (layout) {
      case LAYER_FIRST, PAGE_FIRST_DIRECT -> (((long) kv * L + layer) * P + t) * item; // (2, layer, page_size)
      case PAGE_FIRST -> (((long) kv * P + t) * L + layer) * item; // (2, page_size, layer)
    };
  }

  @Test
  void create_registersTheWholeBufferWithEveryRegistrar_closeUnregistersFirstThenUnmaps() {
    KvShape shape = KvShape.mha(4, 2, 16, DType.BF16, 16);
    MemoryRegistrarDouble cuda = new MemoryRegistrarDouble("cuda", events);
    MemoryRegistrarDouble mooncake = new MemoryRegistrarDouble("mooncake", events);
    HostKvPool p = pool(shape, MemLayout.PAGE_FIRST, 256, cuda, mooncake);
    long total = new LayoutDescriptor(shape, MemLayout.PAGE_FIRST, 256).totalBytes();
    assertThat(p.buffer().byteSize()).isEqualTo(total);
    assertThat(cuda.registrations).singleElement().satisfies(r -> {
      assertThat(r.segment.address()).isEqualTo(p.buffer().address());
      assertThat(r.segment.byteSize()).isEqualTo(total);
    });
    assertThat(mooncake.registrations).hasSize(1);
    assertThat(p.outstandingBytes()).isGreaterThanOrEqualTo(total);
    assertThat(allocator.outstandingBytes()).isEqualTo(p.outstandingBytes());
    p.close();
    assertThat(events).containsSubsequence("cuda register " + total, "mooncake register " + total, "mooncake close", "cuda close");
    assertThat(cuda.registrations.getFirst().memoryMappedAtClose).isTrue();
    assertThat(p.outstandingBytes()).isZero();
    assertThat(allocator.outstandingBytes()).isZero();
    p.close(); // harmless
    assertThat(cuda.registrations.getFirst().closes).isEqualTo(1);
  }

  @Test
  void useAfterClose_isAnIllegalStateException() {
    HostKvPool p = pool(KvShape.mha(2, 1, 8, DType.FP16, 4), MemLayout.LAYER_FIRST, 16);
    int[] slots = p.alloc(4);
    MemorySegment view = p.pageObjects(0)[0];
    p.close();
    assertThatThrownBy(() -> p.alloc(4)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> p.free(slots)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(p::buffer).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(p::availableTokens).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> p.pageObjects(0)).isInstanceOf(IllegalStateException.class);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment flat = a.allocate(p.pageBytes());
      assertThatThrownBy(() -> p.readPage(0, flat)).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> p.writePage(0, flat)).isInstanceOf(IllegalStateException.class);
    }
    // A view kept past close fails loudly instead of reading unmapped memory.
    assertThatThrownBy(() -> view.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void failingRegistrar_leavesNothingBehind() {
    MemoryRegistrarDouble ok = new MemoryRegistrarDouble("cuda", events);
    MemoryRegistrarDouble bad = new MemoryRegistrarDouble("mooncake", events);
    bad.failOnRegister = true;
    assertThatThrownBy(() -> pool(KvShape.mha(2, 1, 8, DType.FP16, 4), MemLayout.PAGE_FIRST, 64, ok, bad))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("registrar 'mooncake'")
        .hasMessageContaining("refused");
    assertThat(ok.registrations.getFirst().closes).isEqualTo(1);
    assertThat(allocator.outstandingBytes()).isZero();
  }

  @Test
  void failingUnregistration_stillUnmaps_andIsReported() {
    MemoryRegistrarDouble bad = new MemoryRegistrarDouble("cuda", events);
    bad.failOnClose = true;
    HostKvPool p = pool(KvShape.mha(2, 1, 8, DType.FP16, 4), MemLayout.PAGE_FIRST, 64, bad);
    assertThatThrownBy(p::close).hasMessageContaining("failed to unregister");
    assertThat(p.outstandingBytes()).isZero();
    assertThat(allocator.outstandingBytes()).isZero();
    p.close();
  }

  @Test
  void allocator_handsOutWholePages_inFreeListOrder() {
    try (HostKvPool p = pool(KvShape.mha(1, 1, 4, DType.FP32, 4), MemLayout.PAGE_FIRST, 16)) {
      assertThat(p.alloc(8)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
      int[] c = p.alloc(4);
      assertThat(c).containsExactly(8, 9, 10, 11);
      assertThat(p.alloc(8)).isNull();
      assertThat(p.availableTokens()).isEqualTo(4);
      p.free(c);
      // Freed pages go to the back of the free list (SGLang appends).
      assertThat(p.alloc(8)).containsExactly(12, 13, 14, 15, 8, 9, 10, 11);
      assertThat(p.availableTokens()).isZero();
      assertThat(p.alloc(0)).isEmpty();
      assertThatThrownBy(() -> p.alloc(3)).hasMessageContaining("whole pages");
    }
  }

  @Test
  void free_rejectsDoubleFreesForeignSlotsAndBrokenPages_withoutChangingAnything() {
    try (HostKvPool p = pool(KvShape.mha(1, 1, 4, DType.FP32, 4), MemLayout.LAYER_FIRST, 16)) {
      int[] a = p.alloc(8);
      p.free(Arrays.copyOfRange(a, 0, 4));
      assertThatThrownBy(() -> p.free(Arrays.copyOfRange(a, 0, 4))).hasMessageContaining("double free")
          .hasMessageContaining("slots 0..3");
      assertThatThrownBy(() -> p.free(new int[] {16, 17, 18, 19})).hasMessageContaining("slot 16 is not in this pool");
      assertThatThrownBy(() -> p.free(new int[] {-4, -3, -2, -1})).hasMessageContaining("not in this pool");
      assertThatThrownBy(() -> p.free(new int[] {5, 6, 7, 8})).hasMessageContaining("does not start a page");
      assertThatThrownBy(() -> p.free(new int[] {4, 5, 7, 6})).hasMessageContaining("are not the page starting at slot 4");
      assertThatThrownBy(() -> p.free(new int[] {4, 5})).hasMessageContaining("whole pages");
      // A batch with one bad page frees none of it.
      int before = p.availableTokens();
      assertThatThrownBy(() -> p.free(new int[] {4, 5, 6, 7, 0, 1, 2, 3})).hasMessageContaining("double free");
      assertThat(p.availableTokens()).isEqualTo(before);
      assertThat(p.isAllocated(4)).isTrue();
      // The same page twice in one batch is a double free too.
      assertThatThrownBy(() -> p.free(new int[] {4, 5, 6, 7, 4, 5, 6, 7})).hasMessageContaining("double free");
      p.free(Arrays.copyOfRange(a, 4, 8));
      assertThat(p.availableTokens()).isEqualTo(16);
    }
  }

  @Test
  void readPageAndWritePage_checkTheirArguments() {
    try (HostKvPool p = pool(KvShape.mha(2, 1, 4, DType.FP32, 4), MemLayout.PAGE_FIRST, 16); Arena a = Arena.ofConfined()) {
      assertThatThrownBy(() -> p.readPage(0, a.allocate(p.pageBytes() - 1))).hasMessageContaining("needs " + p.pageBytes());
      assertThatThrownBy(() -> p.readPage(2, a.allocate(p.pageBytes()))).hasMessageContaining("not the first slot of a page");
      assertThatThrownBy(() -> p.writePage(16, a.allocate(p.pageBytes()))).hasMessageContaining("not the first slot of a page");
    }
  }

  @Test
  void tooSmallPool_isRejected() {
    assertThatThrownBy(() -> pool(KvShape.mha(1, 1, 4, DType.FP32, 4), MemLayout.PAGE_FIRST, 0))
        .hasMessageContaining("at least one page");
  }

  @Test
  void mlaPool_onePartPerPage() {
    KvShape mla = KvShape.mla(3, 8, 4, DType.BF16, 4);
    try (HostKvPool p = pool(mla, MemLayout.PAGE_FIRST, 32)) {
      assertThat(p.pageObjects(4)).hasSize(1);
      assertThat(p.pageBytes()).isEqualTo(3L * 12 * 2 * 4);
    }
    try (HostKvPool p = pool(mla, MemLayout.LAYER_FIRST, 32)) {
      assertThat(p.pageObjects(4)).hasSize(3);
    }
  }

  /**
   * The property: a page written through one accessor reads back identical through every other
   * (writePage/readPage, the L3 page views, the item offsets of the layout descriptor), every item
   * sits where the documented dimension order puts it, and no other page changes.
   */
  @Test
  void everyAccessor_seesTheSamePage_atTheSpecsOffsets_forRandomShapes() {
    qt().withExamples(60).forAll(
        integers().between(1, 4).zip(integers().between(1, 3), (layers, heads) -> new int[] {layers, heads}),
        integers().between(1, 6).zip(integers().between(1, 5), (headDim, pageSize) -> new int[] {headDim, pageSize}),
        integers().between(1, 4),
        booleans().all().zip(integers().between(0, DType.values().length - 1), (mla, dt) -> new Object[] {mla, dt}))
        .checkAssert((lh, dp, pages, md) -> {
          boolean mla = (Boolean) md[0];
          DType dtype = DType.values()[(Integer) md[1]];
          KvShape shape = new KvShape(lh[0], mla ? 1 : lh[1], dp[0], dtype, mla, dp[1]);
          int tokens = pages * dp[1];
          for (MemLayout layout : MemLayout.values()) checkOnePage(shape, layout, tokens, lh[0] * 7919L + dp[0]);
        });
  }

  private void checkOnePage(KvShape shape, MemLayout layout, int tokens, long seed) {
    try (HostKvPool p = pool(shape, layout, tokens); Arena arena = Arena.ofConfined()) {
      int pages = tokens / shape.pageSize();
      SplittableRandom rnd = new SplittableRandom(seed ^ layout.ordinal());
      int[] slots = p.alloc(tokens);
      int page = rnd.nextInt(pages);
      int first = slots[page * shape.pageSize()];
      long pageBytes = p.pageBytes();
      MemorySegment flat = arena.allocate(pageBytes);
      for (long i = 0; i < pageBytes; i++) flat.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(1, 256));
      p.writePage(first, flat);

      // readPage gives back the same bytes.
      MemorySegment back = arena.allocate(pageBytes);
      p.readPage(first, back);
      assertThat(back.mismatch(flat)).as("%s readPage", layout).isEqualTo(-1);

      // The L3 page views, concatenated, are the flat page.
      long at = 0;
      for (MemorySegment view : p.pageObjects(first)) {
        assertThat(view.mismatch(flat.asSlice(at, view.byteSize()))).as("%s page view at %d", layout, at).isEqualTo(-1);
        at += view.byteSize();
      }
      assertThat(at).isEqualTo(pageBytes);

      // Every item is where the descriptor and the documented dimension order both say, with the
      // flat page's bytes for that item.
      LayoutDescriptor d = p.layout();
      long item = shape.itemBytes();
      for (int kv = 0; kv < shape.kvParts(); kv++) {
        for (int l = 0; l < shape.layers(); l++) {
          for (int t = 0; t < shape.pageSize(); t++) {
            long off = d.offset(kv, l, first + t);
            assertThat(off).isEqualTo(specBufferOffset(shape, layout, tokens, kv, l, first + t));
            MemorySegment inBuffer = p.buffer().asSlice(off, item);
            MemorySegment inFlat = flat.asSlice(specFlatOffset(shape, layout, kv, l, t), item);
            assertThat(inBuffer.mismatch(inFlat)).as("%s kv%d l%d t%d", layout, kv, l, t).isEqualTo(-1);
          }
        }
      }

      // Nothing outside the page changed (fresh anonymous memory is zero).
      long nonZeroOutside = 0;
      for (int kv = 0; kv < shape.kvParts(); kv++) {
        for (int l = 0; l < shape.layers(); l++) {
          for (int t = 0; t < tokens; t++) {
            if (t / shape.pageSize() == first / shape.pageSize()) continue;
            MemorySegment s = p.buffer().asSlice(d.offset(kv, l, t), item);
            for (long i = 0; i < item; i++) nonZeroOutside += s.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
          }
        }
      }
      assertThat(nonZeroOutside).as("%s bytes changed outside the page", layout).isZero();

      // And the other direction: items written one by one through the descriptor read back as
      // one flat page in the documented order.
      int other = slots[((page + 1) % pages) * shape.pageSize()];
      if (other != first) {
        for (int kv = 0; kv < shape.kvParts(); kv++) {
          for (int l = 0; l < shape.layers(); l++) {
            for (int t = 0; t < shape.pageSize(); t++) {
              MemorySegment.copy(flat, specFlatOffset(shape, layout, kv, l, t), p.buffer(), d.offset(kv, l, other + t), item);
            }
          }
        }
        MemorySegment viaItems = arena.allocate(pageBytes);
        p.readPage(other, viaItems);
        assertThat(viaItems.mismatch(flat)).as("%s item writes", layout).isEqualTo(-1);
      }
      p.free(slots);
      assertThat(p.availableTokens()).isEqualTo(tokens);
    }
  }

  @Test
  void poolOnRegularPages_reportsItsPath() {
    try (HostKvPool p = HostKvPool.create(KvShape.mha(2, 2, 8, DType.FP16, 8), MemLayout.PAGE_FIRST_DIRECT, 64, allocator,
        AllocationOptions.only(PagePath.REGULAR).withPopulate(true), List.of())) {
      assertThat(p.allocationReport().chosen()).isEqualTo(PagePath.REGULAR);
      assertThat(p.toString()).contains("page_first_direct").contains("REGULAR");
    }
  }
}
