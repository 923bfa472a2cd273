package dev.hicache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.PageKey;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Retry, back-off, detach and re-attach, in virtual time (no sleeping). */
class FaultTolerantL3StoreTest {
  static final long MS = 1_000_000;
  static final PageKey K = PageKey.fromHex("00".repeat(31) + "01");

  @Test void transientError_isRetriedAtOnce_andTheCallSucceeds() {
    var backing = new MapL3StoreDouble();
    var faulty = new FaultInjectingL3StoreDouble(backing, 1);
    var clock = new PrefetchRig.VClock();
    var s = FaultTolerantL3Store.builder(faulty, clock).retries(2).build();
    faulty.set(FaultInjectingL3StoreDouble.Mode.ERRORS, 0.5);
    int ok = 0;
    for (int i = 0; i < 200; i++) ok += s.batchExists(List.of(K)) == 0 ? 1 : 0;
    assertThat(ok).isEqualTo(200);
    assertThat(s.stats().failedAttempts()).isPositive();
    assertThat(s.stats().failedCalls()).as("p(3 failures in a row) = 1/8: some calls still fail").isLessThan(s.stats().failedAttempts());
  }

  @Test void downStore_detachesAfterRepeatedFailure_probesWithBackoff_reattachesWhenHealthy() {
    var backing = new MapL3StoreDouble();
    var faulty = new FaultInjectingL3StoreDouble(backing, 1);
    var clock = new PrefetchRig.VClock();
    var s = FaultTolerantL3Store.builder(faulty, clock).retries(1).detachAfter(3)
        .backoffNanos(10 * MS, 100 * MS).probeIntervalNanos(100 * MS, 400 * MS).build();
    faulty.set(FaultInjectingL3StoreDouble.Mode.ERRORS, 1); // failures that do not say "down"
    for (int i = 0; i < 3; i++) {
      assertThat(s.batchExists(List.of(K))).isZero();
      if (i < 2) clock.now += 200 * MS; // past the back-off window
    }
    assertThat(s.attached()).isFalse();
    long tried = faulty.operationsTried;
    for (int i = 0; i < 50; i++) s.batchExists(List.of(K));
    assertThat(faulty.operationsTried).as("detached: no call reaches the store").isEqualTo(tried);
    clock.now += 100 * MS;
    s.batchExists(List.of(K)); // probe fails
    assertThat(faulty.operationsTried).isEqualTo(tried + 1);
    clock.now += 150 * MS; // next probe only after 200 ms
    s.batchExists(List.of(K));
    assertThat(faulty.operationsTried).isEqualTo(tried + 1);
    faulty.set(FaultInjectingL3StoreDouble.Mode.HEALTHY, 1);
    clock.now += 100 * MS;
    try (Arena a = Arena.ofConfined()) {
      MemorySegment[] page = {a.allocate(8)};
      assertThat(s.batchSet(List.of(K), List.<MemorySegment[]>of(page))).containsExactly(true);
    }
    assertThat(s.attached()).isTrue();
    assertThat(s.stats().detaches()).isEqualTo(1);
    assertThat(s.stats().reattaches()).isEqualTo(1);
    assertThat(s.batchExists(List.of(K))).isEqualTo(1);
  }

  @Test void aStoreThatSaysItIsDown_detachesAtOnce_withoutRetries() {
    var faulty = new FaultInjectingL3StoreDouble(new MapL3StoreDouble(), 1);
    var clock = new PrefetchRig.VClock();
    var s = FaultTolerantL3Store.builder(faulty, clock).retries(2).detachAfter(5).build();
    faulty.set(FaultInjectingL3StoreDouble.Mode.DOWN, 1);
    assertThat(s.batchExists(List.of(K))).isZero();
    assertThat(faulty.operationsTried).as("UNAVAILABLE is not retried").isEqualTo(1);
    assertThat(s.attached()).isFalse();
    for (int i = 0; i < 20; i++) s.batchExists(List.of(K));
    assertThat(faulty.operationsTried).isEqualTo(1);
  }

  /**
   * Mooncake with its master down: each call blocks about 4 s and then fails. One such call
   * detaches the store (no retries, no waiting for {@code detachAfter} of them); probes re-attach it.
   */
  @Test void aStoreWhoseCallsBlockForSeconds_detachesAfterOneSuchCall_andReattachesWhenBack() {
    var clock = new PrefetchRig.VClock();
    var blocking = new BlockingWhenDown(new MapL3StoreDouble(), clock, 4_300 * MS);
    var s = FaultTolerantL3Store.builder(blocking, clock).retries(2).detachAfter(5)
        .probeIntervalNanos(1_000 * MS, 30_000 * MS).build();
    blocking.down = true;
    long t0 = clock.now;
    assertThat(s.batchExists(List.of(K))).isZero();
    assertThat(clock.now - t0).as("one blocked attempt, not three").isEqualTo(4_300 * MS);
    assertThat(s.attached()).isFalse();
    for (int i = 0; i < 20; i++) assertThat(s.batchExists(List.of(K))).isZero();
    assertThat(clock.now - t0).as("detached: later calls cost nothing").isEqualTo(4_300 * MS);
    assertThat(blocking.calls).isEqualTo(1);
    blocking.down = false;
    clock.now += 1_000 * MS;
    try (Arena a = Arena.ofConfined()) {
      MemorySegment[] page = {a.allocate(8)};
      assertThat(s.batchSet(List.of(K), List.<MemorySegment[]>of(page))).containsExactly(true);
    }
    assertThat(s.attached()).isTrue();
    assertThat(s.stats().reattaches()).isEqualTo(1);
  }

  /** Test double: while {@code down}, every call advances the virtual clock by {@code block} and fails. */
  static final class BlockingWhenDown implements dev.hicache.api.spi.L3Store {
    final dev.hicache.api.spi.L3Store delegate;
    final PrefetchRig.VClock clock;
    final long block;
    volatile boolean down;
    int calls;

    BlockingWhenDown(dev.hicache.api.spi.L3Store delegate, PrefetchRig.VClock clock, long block) {
      this.delegate = delegate;
      this.clock = clock;
      this.block = block;
    }

    private void gate() {
      if (!down) return;
      calls++;
      clock.now += block;
      throw new dev.hicache.api.spi.L3Exception(dev.hicache.api.spi.L3Exception.Cause.INTERNAL, "RPC_FAIL (-900) after " + block + " ns");
    }

    @Override public String name() { return "blocking"; }
    @Override public Capabilities capabilities() { return delegate.capabilities(); }
    @Override public int batchExists(List<PageKey> keys) { gate(); return delegate.batchExists(keys); }
    @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> t) { gate(); return delegate.batchGet(keys, t); }
    @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> s) { gate(); return delegate.batchSet(keys, s); }
    @Override public boolean remove(PageKey key) { gate(); return delegate.remove(key); }
    @Override public void clear() { gate(); delegate.clear(); }
    @Override public void close() { delegate.close(); }
  }

  @Test void fullStore_isASkippedWrite_notAHealthProblem_andCallerBugsStillThrow() {
    var faulty = new FaultInjectingL3StoreDouble(new MapL3StoreDouble(), 1);
    var s = FaultTolerantL3Store.builder(faulty, new PrefetchRig.VClock()).detachAfter(1).build();
    faulty.set(FaultInjectingL3StoreDouble.Mode.FULL, 1);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment[] page = {a.allocate(8)};
      for (int i = 0; i < 5; i++) assertThat(s.batchSet(List.of(K), List.<MemorySegment[]>of(page))).containsExactly(false);
    }
    assertThat(s.attached()).isTrue();
    assertThat(s.stats().fullWrites()).isEqualTo(5);
    assertThatThrownBy(() -> s.batchExists(null)).isInstanceOf(IllegalArgumentException.class);
  }
}
