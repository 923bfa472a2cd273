package dev.hicache.l1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.api.config.IoBackend;
import dev.hicache.api.spi.Transfer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte-exact transfers on a real GPU: every host layout × direction × strategy (both io backends)
 * × MHA / MLA / an unaligned shape, random pages, random data, and a poisoned destination checked
 * everywhere (the pages that should change did, byte for byte; nothing else did).
 */
class CudaDevicePoolGpuTest {
  static final KvShape MHA = KvShape.mha(4, 2, 64, DType.BF16, 16);       // item 256 B
  static final KvShape MLA = KvShape.mla(3, 512, 64, DType.BF16, 8);      // item 1152 B
  static final KvShape ODD = KvShape.mha(2, 1, 7, DType.FP8_E4M3, 4);     // item 7 B: the byte kernel

  final CudaMemoryRegistrar cuda = new CudaMemoryRegistrar();

  @BeforeEach
  void gpu() {
    GpuAssumptions.assumeGpu();
  }

  static Stream<Arguments> cases() {
    List<Arguments> a = new ArrayList<>();
    for (KvShape shape : new KvShape[] {MHA, MLA, ODD}) {
      for (MemLayout layout : MemLayout.values()) {
        for (TransferStrategy s : TransferStrategy.values()) {
          for (boolean toDevice : new boolean[] {true, false}) {
            for (boolean perLayer : new boolean[] {false, true}) {
              a.add(Arguments.of(shape.mla() ? "MLA" : shape == ODD ? "ODD" : "MHA", layout, s, toDevice, perLayer));
            }
          }
        }
      }
    }
    return a.stream();
  }

  static KvShape shape(String name) {
    return switch (name) {
      case "MHA" -> MHA;
      case "MLA" -> MLA;
      default -> ODD;
    };
  }

  @ParameterizedTest(name = "{0} host={1} {2} toDevice={3} perLayer={4}")
  @MethodSource("cases")
  void transfer_randomPagesRandomData_byteExactAndNothingElseTouched(String shapeName, MemLayout layout,
      TransferStrategy strategy, boolean toDevice, boolean perLayer) throws Exception {
    KvShape shape = shape(shapeName);
    Random rnd = new Random(shapeName.hashCode() * 31L + layout.ordinal() * 7 + strategy.ordinal() * 3
        + (toDevice ? 1 : 0) + (perLayer ? 17 : 0));
    int ps = shape.pageSize();
    // Staging for 2 slots of 3 pages each: a 10-page transfer takes several chunks and reuses slots.
    long staging = 2L * 3 * shape.bytesPerPage();
    try (CudaDevicePool dev = new CudaDevicePool(shape, ps * 40, IoBackend.KERNEL, 0, staging);
        PinnedHostPoolDouble host = new PinnedHostPoolDouble(shape, layout, ps * 24, cuda);
        Arena arena = Arena.ofConfined()) {
      runCase(dev, host, arena, rnd, strategy, toDevice, perLayer, 10);
    }
    assertThat(cuda.registeredBytes()).isZero();
  }

  static void runCase(CudaDevicePool dev, PinnedHostPoolDouble host, Arena arena, Random rnd, TransferStrategy strategy,
      boolean toDevice, boolean perLayer, int n) throws Exception {
    KvShape shape = dev.shape();
    int ps = shape.pageSize();
    LayoutDescriptor dl = dev.layout();
    LayoutDescriptor hl = host.layout();
    MemorySegment devImage = arena.allocate(dl.totalBytes());
    fill(devImage, rnd);
    dev.upload(devImage);
    fill(host.buffer(), rnd);
    MemorySegment hostBefore = arena.allocate(hl.totalBytes());
    hostBefore.copyFrom(host.buffer());

    int[] dp = pick(rnd, dl.pages(), n);
    int[] hp = pick(rnd, hl.pages(), n);
    Transfer t = dev.transfer(toDevice, slots(dp, ps), host, slots(hp, ps), strategy, perLayer);
    t.await();
    assertThat(t.failure()).isNull();
    assertThat(t.layersDone()).isEqualTo(shape.layers());
    assertThat(t.bytes()).isEqualTo(n * shape.bytesPerPage());

    MemorySegment devAfter = arena.allocate(dl.totalBytes());
    dev.download(devAfter);
    MemorySegment hostAfter = host.buffer();
    // Expected images: the source unchanged, the destination = before + moved items.
    MemorySegment expDev = arena.allocate(dl.totalBytes());
    expDev.copyFrom(devImage);
    MemorySegment expHost = arena.allocate(hl.totalBytes());
    expHost.copyFrom(hostBefore);
    long item = shape.itemBytes();
    for (int i = 0; i < n; i++) {
      for (int kv = 0; kv < shape.kvParts(); kv++) {
        for (int l = 0; l < shape.layers(); l++) {
          for (int tk = 0; tk < ps; tk++) {
            long d = dl.offset(kv, l, dp[i] * ps + tk);
            long h = hl.offset(kv, l, hp[i] * ps + tk);
            if (toDevice) MemorySegment.copy(hostBefore, h, expDev, d, item);
            else MemorySegment.copy(devImage, d, expHost, h, item);
          }
        }
      }
    }
    String what = shape + " host " + hl.layout() + " " + strategy + " toDevice=" + toDevice + " perLayer=" + perLayer;
    assertThat(devAfter.mismatch(expDev)).as("device image, first mismatch (-1: none): " + what).isEqualTo(-1L);
    assertThat(hostAfter.mismatch(expHost)).as("host image, first mismatch (-1: none): " + what).isEqualTo(-1L);
  }

  /** Back-to-back backups on one lane complete in issue order: the later one lands last. */
  @Test
  void backToBackBackups_intoTheSameHostPages_keepIssueOrder() throws Exception {
    KvShape shape = KvShape.mha(32, 8, 128, DType.BF16, 16);
    int ps = shape.pageSize();
    try (CudaDevicePool dev = new CudaDevicePool(shape, ps * 64, IoBackend.DIRECT, 0, 0);
        PinnedHostPoolDouble host = new PinnedHostPoolDouble(shape, MemLayout.PAGE_FIRST_DIRECT, ps * 16, cuda);
        Arena arena = Arena.ofConfined()) {
      Random rnd = new Random(5);
      MemorySegment image = arena.allocate(dev.layout().totalBytes());
      fill(image, rnd);
      dev.upload(image);
      int[] hSlots = slots(pick(rnd, 16, 16), ps);
      LayoutDescriptor dl = dev.layout();
      LayoutDescriptor hl = host.layout();
      for (int round = 0; round < 20; round++) {
        int[] first = pick(rnd, 64, 16);
        int[] last = pick(rnd, 64, 16);
        Transfer a = dev.transfer(false, slots(first, ps), host, hSlots, TransferStrategy.COPY_2D, false);
        Transfer b = dev.transfer(false, slots(last, ps), host, hSlots, TransferStrategy.COPY_2D, false);
        b.await();
        assertThat(a.isDone()).as("an earlier transfer on the lane is done when a later one is").isTrue();
        assertThat(a.failure()).isNull();
        assertThat(b.failure()).isNull();
        long run = ps * shape.itemBytes();
        for (int i = 0; i < 16; i++) {
          for (int kv = 0; kv < 2; kv++) {
            for (int l = 0; l < 32; l++) {
              long h = hl.offset(kv, l, hSlots[i * ps]);
              long d = dl.offset(kv, l, last[i] * ps);
              assertThat(host.buffer().asSlice(h, run).mismatch(image.asSlice(d, run)))
                  .as("round %d page %d part %d layer %d holds the later backup", round, i, kv, l).isEqualTo(-1L);
            }
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(IoBackend.class)
  void spiBackupThenLoad_roundTripThroughEveryLayout_restoresThePages(IoBackend backend) throws Exception {
    Random rnd = new Random(backend.ordinal());
    for (KvShape shape : new KvShape[] {MHA, MLA}) {
      int ps = shape.pageSize();
      for (MemLayout layout : MemLayout.values()) {
        try (CudaDevicePool dev = new CudaDevicePool(shape, ps * 32, backend, 0, 2L * 2 * shape.bytesPerPage());
            PinnedHostPoolDouble host = new PinnedHostPoolDouble(shape, layout, ps * 16, cuda);
            Arena arena = Arena.ofConfined()) {
          MemorySegment image = arena.allocate(dev.layout().totalBytes());
          fill(image, rnd);
          dev.upload(image);
          int[] dSlots = slots(pick(rnd, 32, 7), ps);
          int[] hSlots = host.alloc(7 * ps);
          dev.backup(dSlots, host, hSlots).await();
          // wipe the device, then load the pages back into other device pages
          MemorySegment zeros = arena.allocate(dev.layout().totalBytes());
          dev.upload(zeros);
          int[] back = slots(pick(rnd, 32, 7), ps);
          Transfer t = dev.load(hSlots, host, back);
          for (int l = 0; l < shape.layers(); l++) t.awaitLayer(l);
          assertThat(t.failure()).isNull();
          MemorySegment after = arena.allocate(dev.layout().totalBytes());
          dev.download(after);
          LayoutDescriptor dl = dev.layout();
          for (int i = 0; i < 7; i++) {
            for (int kv = 0; kv < shape.kvParts(); kv++) {
              for (int l = 0; l < shape.layers(); l++) {
                long from = dl.offset(kv, l, dSlots[i * ps]);
                long to = dl.offset(kv, l, back[i * ps]);
                long run = ps * shape.itemBytes();
                assertThat(after.asSlice(to, run).mismatch(image.asSlice(from, run)))
                    .as("%s %s %s page %d part %d layer %d", backend, shape, layout, i, kv, l).isEqualTo(-1L);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void load_perLayer_layersCompleteInOrder() throws Exception {
    KvShape shape = KvShape.mha(32, 8, 128, DType.BF16, 64);
    try (CudaDevicePool dev = new CudaDevicePool(shape, 64 * 64, IoBackend.KERNEL, 0, 0);
        PinnedHostPoolDouble host = new PinnedHostPoolDouble(shape, MemLayout.PAGE_FIRST, 64 * 48, cuda)) {
      for (TransferStrategy b : new TransferStrategy[] {TransferStrategy.COPY, TransferStrategy.ZERO_COPY_KERNEL}) {
        Transfer t = dev.transfer(true, slots(pick(new Random(1), 64, 40), 64), host, slots(pick(new Random(2), 48, 40), 64),
            b, true);
        int seen = 0;
        List<Integer> observed = new ArrayList<>();
        while (!t.isDone()) {
          int d = t.layersDone();
          assertThat(d).isGreaterThanOrEqualTo(seen).isBetween(0, 32);
          if (d != seen) observed.add(d);
          seen = d;
        }
        for (int l = 0; l < 32; l++) {
          t.awaitLayer(l);
          assertThat(t.layersDone()).isGreaterThan(l);
        }
        assertThat(t.layersDone()).isEqualTo(32);
        assertThat(t.failure()).isNull();
        System.out.println("[hicache-l1-gpu] " + b + " per-layer completions observed while polling: " + observed);
      }
    }
  }

  @Test
  void strategyFor_kernelBackend_followsTheHostLayout() {
    KvShape shape = MHA;
    int ps = shape.pageSize();
    try (CudaDevicePool k = new CudaDevicePool(shape, ps * 8, IoBackend.KERNEL, 0, 2 * shape.bytesPerPage());
        CudaDevicePool d = new CudaDevicePool(shape, ps * 8, IoBackend.DIRECT, 0, 2 * shape.bytesPerPage())) {
      LayoutDescriptor pf = new LayoutDescriptor(shape, MemLayout.PAGE_FIRST, ps * 4);
      LayoutDescriptor pfd = new LayoutDescriptor(shape, MemLayout.PAGE_FIRST_DIRECT, ps * 4);
      LayoutDescriptor lf = new LayoutDescriptor(shape, MemLayout.LAYER_FIRST, ps * 4);
      assertThat(k.strategyFor(false, pf)).isEqualTo(TransferStrategy.STAGED_KERNEL);
      assertThat(k.strategyFor(false, pfd)).isEqualTo(TransferStrategy.STAGED_KERNEL);
      assertThat(k.strategyFor(false, lf)).isEqualTo(TransferStrategy.COPY_2D);
      assertThat(k.strategyFor(true, pf)).isEqualTo(TransferStrategy.ZERO_COPY_KERNEL);
      assertThat(k.strategyFor(true, pfd)).isEqualTo(TransferStrategy.COPY);
      assertThat(d.strategyFor(false, pf)).isEqualTo(TransferStrategy.COPY_3D);
      assertThat(d.strategyFor(false, pfd)).isEqualTo(TransferStrategy.COPY_3D);
      assertThat(d.strategyFor(true, pf)).isEqualTo(TransferStrategy.COPY);
    }
  }

  @Test
  void pool_accounting_closeFreesAllAndUseAfterCloseThrows() {
    KvShape shape = MHA;
    CudaDevicePool dev = new CudaDevicePool(shape, 16 * 8, IoBackend.DIRECT, 0, 1 << 20);
    assertThat(dev.outstandingBytes()).isEqualTo(dev.layout().totalBytes() + 2L * (1 << 20));
    int[] s = dev.alloc(32);
    assertThat(s).hasSize(32);
    assertThat(dev.availableTokens()).isEqualTo(96);
    assertThat(dev.alloc(112)).isNull();
    dev.free(s);
    assertThatThrownBy(() -> dev.free(s)).isInstanceOf(IllegalArgumentException.class);
    dev.close();
    assertThat(dev.outstandingBytes()).isZero();
    dev.close();
    assertThatThrownBy(() -> dev.alloc(16)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(dev::availableTokens).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void transfer_unregisteredHostOrBadSlots_clearErrorsAndNothingIssued() {
    KvShape shape = MHA;
    try (CudaDevicePool dev = CudaDevicePool.create(shape, 16 * 8, IoBackend.KERNEL);
        PinnedHostPoolDouble unpinned = new PinnedHostPoolDouble(shape, MemLayout.PAGE_FIRST, 16 * 4);
        PinnedHostPoolDouble pinned = new PinnedHostPoolDouble(shape, MemLayout.PAGE_FIRST, 16 * 4, cuda)) {
      assertThatThrownBy(() -> dev.backup(slots(new int[] {1}, 16), unpinned, slots(new int[] {0}, 16)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CudaMemoryRegistrar");
      assertThatThrownBy(() -> dev.backup(new int[] {1, 2, 3}, pinned, new int[] {0, 1, 2}))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("page size");
      assertThatThrownBy(() -> dev.backup(slots(new int[] {1}, 16), pinned, slots(new int[] {4}, 16)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host slots");
      assertThat(cuda.registeredBytes()).isEqualTo(pinned.layout().totalBytes());
    }
    assertThat(cuda.registeredBytes()).isZero();
  }

  @Test
  void concurrentBackupAndLoad_separateStreams_bothByteExact() throws Exception {
    KvShape shape = MHA;
    int ps = shape.pageSize();
    Random rnd = new Random(7);
    try (CudaDevicePool dev = new CudaDevicePool(shape, ps * 64, IoBackend.KERNEL, 0, 4 * shape.bytesPerPage());
        PinnedHostPoolDouble hostA = new PinnedHostPoolDouble(shape, MemLayout.PAGE_FIRST, ps * 32, cuda);
        PinnedHostPoolDouble hostB = new PinnedHostPoolDouble(shape, MemLayout.PAGE_FIRST_DIRECT, ps * 32, cuda);
        Arena arena = Arena.ofConfined()) {
      MemorySegment image = arena.allocate(dev.layout().totalBytes());
      fill(image, rnd);
      dev.upload(image);
      fill(hostB.buffer(), rnd);
      // back up device pages 0..15 to A while loading B's pages into device pages 32..47
      int[] out = slots(range(0, 16), ps);
      int[] in = slots(range(32, 16), ps);
      Transfer backup = dev.backup(out, hostA, slots(range(0, 16), ps));
      Transfer load = dev.load(slots(range(8, 16), ps), hostB, in);
      backup.await();
      load.await();
      MemorySegment after = arena.allocate(dev.layout().totalBytes());
      dev.download(after);
      LayoutDescriptor dl = dev.layout();
      for (int p = 0; p < 16; p++) {
        for (int kv = 0; kv < 2; kv++) {
          for (int l = 0; l < shape.layers(); l++) {
            for (int t = 0; t < ps; t++) {
              long item = shape.itemBytes();
              assertThat(hostA.buffer().asSlice(hostA.layout().offset(kv, l, p * ps + t), item)
                  .mismatch(image.asSlice(dl.offset(kv, l, p * ps + t), item))).isEqualTo(-1L);
              assertThat(after.asSlice(dl.offset(kv, l, (32 + p) * ps + t), item)
                  .mismatch(hostB.buffer().asSlice(hostB.layout().offset(kv, l, (8 + p) * ps + t), item))).isEqualTo(-1L);
            }
          }
        }
      }
    }
  }

  static int[] range(int from, int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = from + i;
    return r;
  }

  static void fill(MemorySegment seg, Random rnd) {
    byte[] chunk = new byte[1 << 20];
    for (long at = 0; at < seg.byteSize(); at += chunk.length) {
      rnd.nextBytes(chunk);
      int len = (int) Math.min(chunk.length, seg.byteSize() - at);
      MemorySegment.copy(MemorySegment.ofArray(chunk), 0, seg, at, len);
    }
  }

  static int[] pick(Random rnd, int pages, int n) {
    List<Integer> all = new ArrayList<>();
    for (int p = 0; p < pages; p++) all.add(p);
    Collections.shuffle(all, rnd);
    return all.subList(0, n).stream().mapToInt(Integer::intValue).toArray();
  }

  static int[] slots(int[] pages, int ps) {
    int[] s = new int[pages.length * ps];
    for (int i = 0; i < pages.length; i++) for (int t = 0; t < ps; t++) s[i * ps + t] = pages[i] * ps + t;
    return s;
  }
}
