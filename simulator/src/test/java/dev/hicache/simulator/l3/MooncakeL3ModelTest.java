package dev.hicache.simulator.l3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.api.PageKey;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** The Mooncake model's leases and eviction (docs/behaviour.md#leases, #master-eviction), against a reference model. */
class MooncakeL3ModelTest {
  private static final long MS = 1_000_000L;
  private static final long TICK = MooncakeL3Model.EVICTION_INTERVAL_NANOS;

  private final long[] clock = {0};

  private MooncakeL3Model model(long capacity, long ttlMs, double watermark, double ratio) {
    return new MooncakeL3Model(capacity, MooncakeL3Model.Params.ofFlags(ttlMs, watermark, ratio), () -> clock[0]);
  }

  static PageKey key(int i) {
    byte[] b = new byte[PageKey.BYTES];
    b[0] = (byte) i;
    b[1] = (byte) (i >> 8);
    b[2] = (byte) (i >> 16);
    return PageKey.ofDigest(b);
  }

  private static MemorySegment[] page(int v) {
    return new MemorySegment[] {MemorySegment.ofArray(new byte[] {(byte) v})};
  }

  private static boolean put(MooncakeL3Model m, int k) {
    return m.set(key(k), page(k));
  }

  private static boolean get(MooncakeL3Model m, int k) {
    return m.get(key(k), MemorySegment.ofArray(new byte[1]));
  }

  // ---------------------------------------------------------------- the master's arithmetic

  @Test
  void evictionTarget_andLowerBound_followTheSpecsFormulas() {
    // target = max(ratio, used - watermark + ratio); lower bound = max(target / 2, used - watermark)
    assertThat(MooncakeL3Model.evictionTarget(0.98, 0.95, 0.10)).isCloseTo(0.13, within());
    assertThat(MooncakeL3Model.evictionLowerBound(0.13, 0.98, 0.95)).isCloseTo(0.065, within());
    assertThat(MooncakeL3Model.evictionTarget(1.00, 0.90, 0.05)).isCloseTo(0.15, within());
    assertThat(MooncakeL3Model.evictionLowerBound(0.15, 1.00, 0.90)).isCloseTo(0.10, within());
    // Below the watermark (a pass after a failed put): the ratio alone.
    assertThat(MooncakeL3Model.evictionTarget(0.50, 0.90, 0.05)).isCloseTo(0.05, within());
    assertThat(MooncakeL3Model.evictionLowerBound(0.05, 0.50, 0.90)).isCloseTo(0.025, within());
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-12);
  }

  @Test
  void aFullPool_evictsCeilOfTargetTimesObjects_atTheNextTick_andStopsBelowTheWatermark() {
    MooncakeL3Model m = model(100, 10_000, 0.90, 0.05);
    for (int i = 0; i < 100; i++) assertThat(put(m, i)).isTrue();
    assertThat(m.size()).isEqualTo(100);
    clock[0] = TICK - 1;
    assertThat(m.now()).isEqualTo(TICK - 1);
    assertThat(m.stats().evictions()).as("the thread has not woken yet").isZero();
    clock[0] = TICK;
    m.now();
    // used 1.0 > 0.90: target = 0.15, ceil(100 x 0.15) = 15 of the 100 objects; then 0.85 <= 0.90.
    assertThat(m.stats().evictions()).isEqualTo(15);
    assertThat(m.stats().evictionPasses()).isEqualTo(1);
    assertThat(m.stats().passesBelowLowerBound()).isZero();
    clock[0] = 100 * TICK;
    m.now();
    assertThat(m.stats().evictions()).as("below the watermark nothing more goes").isEqualTo(15);
    assertThat(m.stats().evictionPasses()).isEqualTo(1);
    // Oldest lease first: puts at one instant are ordered by when they completed.
    for (int i = 0; i < 15; i++) assertThat(m.exists(key(i))).as("page %d", i).isFalse();
    for (int i = 15; i < 100; i++) assertThat(m.exists(key(i))).as("page %d", i).isTrue();
  }

  @Test
  void justAboveTheWatermark_evictsTheRatioPlusTheExcess() {
    MooncakeL3Model m = model(1000, 10_000, 0.90, 0.05);
    for (int i = 0; i < 950; i++) put(m, i);
    clock[0] = TICK;
    m.now();
    // used 0.95: target = max(0.05, 0.95 - 0.90 + 0.05) = 0.10 -> ceil(950 x 0.10) = 95
    assertThat(m.stats().evictions()).isEqualTo(95);
    assertThat(m.size()).isEqualTo(855);
  }

  // ---------------------------------------------------------------- leases

  @Test
  void aPut_whenEveryObjectIsLeased_failsWithoutBlocking_andSucceedsOnceALeaseHasRunOut() {
    MooncakeL3Model m = model(4, 10_000, 0.90, 0.05);
    for (int i = 0; i < 4; i++) put(m, i);
    assertThat(m.batchExists(List.of(key(0), key(1), key(2), key(3)))).isEqualTo(4); // leases to 10 s
    assertThat(put(m, 4)).as("no space: NO_AVAILABLE_HANDLE").isFalse();
    assertThat(m.stats().putsFailedNoSpace()).isEqualTo(1);
    assertThat(m.needEviction()).isTrue();
    clock[0] = 5_000 * MS;
    assertThat(put(m, 4)).as("still leased: the passes evict nothing").isFalse();
    MooncakeL3Model.Stats s = m.stats();
    assertThat(s.evictions()).isZero();
    assertThat(s.evictionPasses()).as("one pass every 10 ms from 10 ms to 5 s").isEqualTo(500);
    // each pass aimed at ceil(4 x 0.15) = 1 object and found it leased
    assertThat(s.leaseBlockedEvictions()).isEqualTo(500);
    assertThat(s.passesBelowLowerBound()).as("each evicted 0 < ceil(4 x 0.10)").isEqualTo(500);
    clock[0] = 10_000 * MS;
    assertThat(put(m, 4)).as("the leases ran out at 10 s; the pass at 10 s evicted one").isTrue();
    assertThat(m.stats().evictions()).isEqualTo(1);
    assertThat(m.exists(key(0))).as("the oldest lease went").isFalse();
    assertThat(m.size()).isEqualTo(4);
  }

  @Test
  void existsAndGet_extendTheLease_butAPutDoesNot() {
    // watermark 0.5 of 4: a third page triggers a pass of ceil(3 x max(0.05, 0.75 - 0.5 + 0.05)) = 1
    MooncakeL3Model m = model(4, 1_000, 0.5, 0.05);
    put(m, 1); // lease = 0: evictable at once
    put(m, 2);
    put(m, 3);
    assertThat(m.exists(key(1))).isTrue(); // lease to 1 s
    assertThat(get(m, 2)).isTrue(); // lease to 1 s
    clock[0] = TICK;
    m.now();
    assertThat(m.exists(key(3))).as("only put, never read: its lease ran out at once").isFalse();
    assertThat(m.stats().evictions()).isEqualTo(1);
    // 2 of 4 is not above 0.5: no more passes. Fill again: 3 of 4, both survivors leased.
    put(m, 4);
    clock[0] = 2 * TICK;
    m.now();
    assertThat(m.exists(key(4))).isFalse();
    assertThat(m.leases()).containsOnlyKeys(key(1), key(2));
    // A put of a page already there is HiCache's existence check: it touches, and skips the write.
    long before = m.stats().puts();
    clock[0] = 500 * MS;
    assertThat(put(m, 1)).isTrue();
    assertThat(m.stats().puts()).isEqualTo(before);
    assertThat(m.leases()).containsExactly(java.util.Map.entry(key(2), 1_000 * MS),
        java.util.Map.entry(key(1), 1_500 * MS));
  }

  @Test
  void removeAndClear_areForced_leasesOrNot() {
    MooncakeL3Model m = model(10, 10_000, 0.9, 0.05);
    put(m, 1);
    put(m, 2);
    assertThat(get(m, 1)).isTrue();
    assertThat(m.remove(key(1))).isTrue();
    assertThat(m.remove(key(1))).isFalse();
    m.clear();
    assertThat(m.size()).isZero();
  }

  @Test
  void eviction_withRatioZero_isOnlyTheExcess_andAFailedPutAloneTriggersNothing() {
    MooncakeL3Model m = model(10, 0, 1.0, 0.0);
    for (int i = 0; i < 10; i++) put(m, i);
    assertThat(put(m, 10)).isFalse();
    clock[0] = 10 * TICK;
    m.now();
    // watermark 1.0 (the sample master.yaml) disables proactive eviction; with ratio 0 a failed put
    // does not trigger a pass either (Mooncake checks eviction_ratio > 0).
    assertThat(m.stats().evictionPasses()).isZero();
    assertThat(put(m, 10)).isFalse();
  }

  @Test
  void params_outOfRange_areRejectedNamingTheFlagAndValue() {
    assertThatThrownBy(() -> MooncakeL3Model.Params.ofFlags(-1, 0.9, 0.05))
        .hasMessageContaining("--mooncake-lease-ttl-ms").hasMessageContaining("'-1'");
    assertThatThrownBy(() -> MooncakeL3Model.Params.ofFlags(10_000, 1.5, 0.05))
        .hasMessageContaining("--mooncake-eviction-high-watermark").hasMessageContaining("'1.5'");
    assertThatThrownBy(() -> MooncakeL3Model.Params.ofFlags(10_000, 0.9, -0.1))
        .hasMessageContaining("--mooncake-eviction-ratio").hasMessageContaining("'-0.1'");
    assertThatThrownBy(() -> MooncakeL3Model.Params.ofFlags(10_000, Double.NaN, 0.05))
        .hasMessageContaining("--mooncake-eviction-high-watermark");
  }

  @Test
  void theClock_neverGoesBack() {
    MooncakeL3Model m = model(10, 1_000, 0.9, 0.05);
    clock[0] = 5_000 * MS;
    put(m, 1);
    clock[0] = 4_000 * MS; // another instance, a little behind
    assertThat(m.exists(key(1))).isTrue();
    assertThat(m.leases().get(key(1))).isEqualTo(6_000 * MS);
  }

  // ---------------------------------------------------------------- against a reference model

  /**
   * The same pool as plainly as possible: a hash map of objects; every 10 ms tick, one after the
   * other; the eviction candidates sorted by (lease, grant order).
   */
  static final class Reference {
    static final class Obj {
      final byte value;
      long lease;
      long grant;

      Obj(byte value, long lease, long grant) {
        this.value = value;
        this.lease = lease;
        this.grant = grant;
      }
    }

    final long capacity;
    final long ttl;
    final double watermark;
    final double ratio;
    final Map<PageKey, Obj> objects = new HashMap<>();
    long now = Long.MIN_VALUE, nextTick, grants;
    boolean needEviction;
    long puts, putsFailed, evictions, passes, leaseBlocked, belowLowerBound;

    Reference(long capacity, long ttlMs, double watermark, double ratio) {
      this.capacity = capacity;
      this.ttl = ttlMs * MS;
      this.watermark = watermark;
      this.ratio = ratio;
    }

    void advance(long clock) {
      now = Math.max(now, clock);
      for (; nextTick <= now; nextTick += TICK) tick(nextTick);
    }

    void tick(long at) {
      double used = (double) objects.size() / capacity;
      if (!(used > watermark || (needEviction && ratio > 0))) return;
      passes++;
      int n = objects.size();
      if (n == 0) {
        needEviction = false;
        return;
      }
      double target = Math.max(ratio, used - watermark + ratio);
      long wanted = Math.min(n, (long) Math.ceil(n * target));
      List<Map.Entry<PageKey, Obj>> expired = new ArrayList<>();
      for (var e : objects.entrySet()) if (e.getValue().lease <= at) expired.add(e);
      expired.sort(Comparator.comparingLong((Map.Entry<PageKey, Obj> e) -> e.getValue().lease)
          .thenComparingLong(e -> e.getValue().grant));
      long evicted = Math.min(wanted, expired.size());
      double lowerBound = Math.max(0.5 * target, used - watermark);
      if (evicted < Math.min(n, (long) Math.ceil(n * lowerBound))) belowLowerBound++;
      for (int i = 0; i < evicted; i++) objects.remove(expired.get(i).getKey());
      evictions += evicted;
      leaseBlocked += wanted - evicted;
      if (evicted > 0) needEviction = false;
    }

    void touch(Obj o) {
      o.lease = Math.max(o.lease, now + ttl);
      o.grant = grants++;
    }

    int exists(List<PageKey> keys) {
      int n = 0;
      boolean run = true;
      for (PageKey k : keys) {
        Obj o = objects.get(k);
        if (o != null) touch(o);
        run &= o != null;
        if (run) n++;
      }
      return n;
    }

    byte[] get(List<PageKey> keys) { // per key: the value, or -1 for a miss (values are 0..127)
      byte[] out = new byte[keys.size()];
      for (int i = 0; i < out.length; i++) {
        Obj o = objects.get(keys.get(i));
        if (o != null) touch(o);
        out[i] = o == null ? -1 : o.value;
      }
      return out;
    }

    boolean[] set(List<PageKey> keys, byte[] values) {
      boolean[] ok = new boolean[keys.size()];
      for (int i = 0; i < ok.length; i++) {
        Obj o = objects.get(keys.get(i));
        if (o != null) {
          touch(o);
          ok[i] = true;
        }
      }
      for (int i = 0; i < ok.length; i++) {
        if (ok[i]) continue;
        if (objects.containsKey(keys.get(i))) {
          ok[i] = true;
        } else if (objects.size() >= capacity) {
          putsFailed++;
          needEviction = true;
        } else {
          objects.put(keys.get(i), new Obj(values[i], Math.max(0, now), grants++));
          puts++;
          ok[i] = true;
        }
      }
      return ok;
    }

    /** Keys by (lease, grant): the eviction order. */
    LinkedHashMap<PageKey, Long> leases() {
      LinkedHashMap<PageKey, Long> out = new LinkedHashMap<>();
      objects.entrySet().stream()
          .sorted(Comparator.comparingLong((Map.Entry<PageKey, Obj> e) -> e.getValue().lease)
              .thenComparingLong(e -> e.getValue().grant))
          .forEach(e -> out.put(e.getKey(), e.getValue().lease));
      return out;
    }
  }

  /** One step: {kind, first key, batch length, amount}. */
  record Op(int kind, int key, int length, int amount) {
    @Override public String toString() {
      return switch (kind) {
        case 0 -> "exists(" + key + "+" + length + ")";
        case 1 -> "get(" + key + "+" + length + ")";
        case 2 -> "set(" + key + "+" + length + ")";
        case 3 -> "remove(" + key + ")";
        case 4 -> "advance(" + amount + " ms)";
        case 5 -> "advance(" + amount * 20 + " ms)";
        default -> "clear";
      };
    }
  }

  /** The pool's settings: {capacity, TTL ms, watermark percent, ratio percent}. */
  record Setup(int capacity, int ttlMs, int watermarkPercent, int ratioPercent) {}

  private static final int[] TTLS_MS = {0, 15, 40, 200, 10_000};

  @Test
  void randomOperations_matchTheReferenceModel_afterEveryStep() {
    Gen<Op> ops = integers().between(0, 99).zip(integers().between(0, 39), integers().between(1, 6),
        integers().between(0, 120), (k, key, len, amount) -> new Op(
            k < 20 ? 0 : k < 35 ? 1 : k < 60 ? 2 : k < 66 ? 3 : k < 90 ? 4 : k < 99 ? 5 : 6, key, len, amount));
    Gen<Setup> setups = integers().between(1, 24).zip(integers().between(0, TTLS_MS.length - 1),
        integers().between(0, 100), integers().between(0, 100),
        (cap, ttl, wm, r) -> new Setup(cap, TTLS_MS[ttl], wm, r));
    qt().withExamples(Integer.getInteger("hicache.mooncake.examples", 300))
        .forAll(setups, lists().of(ops).ofSizeBetween(1, 200))
        .checkAssert((setup, steps) -> {
          replay(setup, steps);
        });
  }

  private MooncakeL3Model.Stats replay(Setup setup, List<Op> steps) {
    clock[0] = 0;
    double wm = setup.watermarkPercent() / 100.0, ratio = setup.ratioPercent() / 100.0;
    MooncakeL3Model m = model(setup.capacity(), setup.ttlMs(), wm, ratio);
    Reference ref = new Reference(setup.capacity(), setup.ttlMs(), wm, ratio);
    int step = 0;
    for (Op op : steps) {
      step++;
      String at = "step " + step + " " + op + " at " + clock[0] / MS + " ms";
      Map<PageKey, Long> before = m.leases();
      boolean triggeredBefore = (double) m.size() / setup.capacity() > wm || (m.needEviction() && ratio > 0);
      long evictionsBefore = m.stats().evictions();
      List<PageKey> batch = new ArrayList<>();
      for (int i = 0; i < op.length(); i++) batch.add(key((op.key() + i) % 40));
      boolean removing = false;
      switch (op.kind()) {
        case 0 -> {
          ref.advance(clock[0]);
          assertThat(m.batchExists(batch)).as(at).isEqualTo(ref.exists(batch));
        }
        case 1 -> {
          ref.advance(clock[0]);
          List<MemorySegment[]> into = new ArrayList<>();
          byte[][] buffers = new byte[batch.size()][1];
          for (byte[] b : buffers) into.add(new MemorySegment[] {MemorySegment.ofArray(b)});
          boolean[] ok = m.batchGet(batch, into);
          byte[] want = ref.get(batch);
          for (int i = 0; i < ok.length; i++) {
            assertThat(ok[i]).as(at + " key " + i).isEqualTo(want[i] >= 0);
            if (ok[i]) assertThat(buffers[i][0]).as(at).isEqualTo(want[i]);
          }
        }
        case 2 -> {
          ref.advance(clock[0]);
          byte[] values = new byte[batch.size()];
          List<MemorySegment[]> from = new ArrayList<>();
          for (int i = 0; i < values.length; i++) {
            values[i] = (byte) ((step * 7 + i) & 0x7f);
            from.add(new MemorySegment[] {MemorySegment.ofArray(new byte[] {values[i]})});
          }
          assertThat(m.batchSet(batch, from)).as(at).containsExactly(ref.set(batch, values));
        }
        case 3 -> {
          ref.advance(clock[0]);
          removing = true;
          assertThat(m.remove(batch.getFirst())).as(at).isEqualTo(ref.objects.remove(batch.getFirst()) != null);
        }
        case 4 -> clock[0] += op.amount() * MS;
        case 5 -> clock[0] += op.amount() * 20 * MS;
        default -> {
          ref.advance(clock[0]);
          removing = true;
          m.clear();
          ref.objects.clear();
          ref.needEviction = false;
        }
      }
      // Same contents, same eviction order and leases, same counters.
      Map<PageKey, Long> after = m.leases();
      assertThat(new ArrayList<>(after.entrySet())).as(at).containsExactlyElementsOf(ref.leases().entrySet());
      m.contents().forEach((k, v) -> assertThat(v[0][0]).as(at).isEqualTo(ref.objects.get(k).value));
      MooncakeL3Model.Stats s = m.stats();
      assertThat(List.of(s.puts(), s.putsFailedNoSpace(), s.evictions(), s.evictionPasses(), s.leaseBlockedEvictions(),
          s.passesBelowLowerBound()))
          .as(at + " puts, failed, evictions, passes, blocked, below the lower bound")
          .isEqualTo(List.of(ref.puts, ref.putsFailed, ref.evictions, ref.passes, ref.leaseBlocked, ref.belowLowerBound));
      assertThat(m.needEviction()).as(at).isEqualTo(ref.needEviction);
      // Invariants, checked on the model itself.
      assertThat(m.size()).as(at + ": capacity").isLessThanOrEqualTo(setup.capacity());
      if (!removing) {
        for (var e : before.entrySet()) {
          if (!after.containsKey(e.getKey())) {
            assertThat(e.getValue()).as(at + ": evicted with a live lease").isLessThanOrEqualTo(clock[0]);
          }
        }
      }
      if (s.evictions() > evictionsBefore) {
        assertThat(triggeredBefore).as(at + ": evicted below the watermark with no failed put").isTrue();
      }
    }
    return m.stats();
  }

  @Test
  void reference_andModel_agreeOnALongRun() {
    // A longer, denser run than the property's examples: 20,000 operations over 40 keys.
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
    List<Op> steps = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      int k = rnd.nextInt(100);
      steps.add(new Op(k < 20 ? 0 : k < 35 ? 1 : k < 65 ? 2 : k < 68 ? 3 : k < 97 ? 4 : 5, rnd.nextInt(40),
          1 + rnd.nextInt(6), rnd.nextInt(60)));
    }
    MooncakeL3Model.Stats s = replay(new Setup(24, 200, 80, 10), steps);
    assertThat(s.evictions()).as("the run evicts").isPositive();
    assertThat(s.putsFailedNoSpace()).as("the run fills the pool").isPositive();
    assertThat(s.leaseBlockedEvictions()).as("the run meets live leases").isPositive();
  }
}
