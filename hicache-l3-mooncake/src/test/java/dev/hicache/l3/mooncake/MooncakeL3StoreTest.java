package dev.hicache.l3.mooncake;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Exception;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.MemoryRegistrar;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SGLang's Mooncake backend behaviour over the double (docs/behaviour.md#sglangs-mooncake-backend). */
class MooncakeL3StoreTest {
  static RegisteredSlabs slabs;
  static final SplittableRandom RANDOM = new SplittableRandom(7);

  @BeforeAll
  static void memory() {
    slabs = new RegisteredSlabs(4, 4 << 20);
  }

  @AfterAll
  static void free() {
    slabs.close();
  }

  static PageKey key() {
    byte[] d = new byte[32];
    synchronized (RANDOM) {
      RANDOM.nextBytes(d);
    }
    return PageKey.ofDigest(d);
  }

  static MemorySegment[] page(Arena a, int partBytes, int parts, long seed) {
    MemorySegment[] p = new MemorySegment[parts];
    var r = new SplittableRandom(seed);
    for (int i = 0; i < parts; i++) {
      byte[] b = new byte[partBytes];
      r.nextBytes(b);
      p[i] = a.allocate(partBytes, 64);
      MemorySegment.copy(b, 0, p[i], JAVA_BYTE, 0, partBytes);
    }
    return p;
  }

  /** A set-up client and its L3 view; the client's segment mounts 64 MiB. */
  static MooncakeL3Store l3(String master, MooncakeL3Store.Options o, String tag) {
    MooncakeStore client = MooncakeDouble.store(master, 64 << 20);
    client.registerBuffer(slabs.region());
    return new MooncakeL3Store(client, true, o, tag);
  }

  static MooncakeL3Store.Options mha(int rank) {
    return MooncakeL3Store.Options.sglang(false, rank, 2);
  }

  @Test
  void roundTrip_fullBatchOf128MhaPages_is256Objects() {
    try (var l3 = l3(MooncakeDouble.freshMaster(), mha(0), null); Arena a = slabs.arena()) {
      List<PageKey> keys = new ArrayList<>();
      List<MemorySegment[]> src = new ArrayList<>(), dst = new ArrayList<>();
      for (int i = 0; i < L3Store.MAX_BATCH_PAGES; i++) {
        keys.add(key());
        src.add(page(a, 4096, 2, i));
        dst.add(new MemorySegment[] {a.allocate(4096, 64), a.allocate(4096, 64)});
      }
      assertThat(l3.batchSet(keys, src)).doesNotContain(false);
      assertThat(l3.batchExists(keys)).isEqualTo(128);
      assertThat(l3.batchGet(keys, dst)).doesNotContain(false);
      for (int i = 0; i < keys.size(); i++) {
        assertThat(dst.get(i)[0].mismatch(src.get(i)[0])).isEqualTo(-1);
        assertThat(dst.get(i)[1].mismatch(src.get(i)[1])).isEqualTo(-1);
      }
      // The objects are SGLang's: {hash}_{tp_rank}_k and _v.
      assertThat(l3.client().isExist(keys.getFirst().toHex() + "_0_k")).isTrue();
      assertThat(l3.client().isExist(keys.getFirst().toHex() + "_0_v")).isTrue();
    }
  }

  @Test
  void batchExists_aPageCountsOnlyWhenAllItsObjectsExist() {
    try (var l3 = l3(MooncakeDouble.freshMaster(), mha(1).withExistenceTtl(Duration.ZERO), null); Arena a = slabs.arena()) {
      List<PageKey> keys = List.of(key(), key(), key());
      l3.batchSet(keys, List.of(page(a, 64, 2, 1), page(a, 64, 2, 2), page(a, 64, 2, 3)));
      assertThat(l3.batchExists(keys)).isEqualTo(3);
      l3.client().remove(keys.get(1).toHex() + "_1_v", true); // evicted V of page 1
      assertThat(l3.batchExists(keys)).isEqualTo(1);
      assertThat(l3.batchGet(keys, List.of(page(a, 64, 2, 0), page(a, 64, 2, 0), page(a, 64, 2, 0))))
          .containsExactly(true, false, true);
      // A write-back re-puts only the missing object and the page is whole again.
      assertThat(l3.batchSet(List.of(keys.get(1)), List.<MemorySegment[]>of(page(a, 64, 2, 2)))).containsExactly(true);
      assertThat(l3.batchExists(keys)).isEqualTo(3);
    }
  }

  @Test
  void batchSet_writesOnlyMissingObjects_andAPresentPageKeepsItsBytes() {
    try (var l3 = l3(MooncakeDouble.freshMaster(), mha(0), null); Arena a = slabs.arena()) {
      PageKey k = key();
      MemorySegment[] first = page(a, 128, 2, 1);
      assertThat(l3.batchSet(List.of(k), List.<MemorySegment[]>of(first))).containsExactly(true);
      assertThat(l3.batchSet(List.of(k), List.<MemorySegment[]>of(page(a, 128, 2, 2)))).containsExactly(true);
      MemorySegment[] back = page(a, 128, 2, 0);
      assertThat(l3.batchGet(List.of(k), List.<MemorySegment[]>of(back))).containsExactly(true);
      assertThat(back[0].mismatch(first[0])).isEqualTo(-1);
    }
  }

  @Test
  void batchGet_aPartWhoseSizeDiffersIsAbsent() {
    try (var l3 = l3(MooncakeDouble.freshMaster(), mha(0), null); Arena a = slabs.arena()) {
      PageKey k = key();
      l3.batchSet(List.of(k), List.<MemorySegment[]>of(page(a, 256, 2, 1)));
      MemorySegment[] bigger = {a.allocate(512, 64), a.allocate(256, 64)};
      MemorySegment[] smaller = {a.allocate(256, 64), a.allocate(128, 64)};
      assertThat(l3.batchGet(List.of(k, k), List.of(bigger, smaller))).containsExactly(false, false);
    }
  }

  @Test
  void existenceCache_sparesTheMaster_andOurOwnWritesAndRemovesUpdateIt() {
    String master = MooncakeDouble.freshMaster();
    var o = mha(0).withExistenceTtl(Duration.ofHours(1));
    try (var l3 = l3(master, o, null); var other = l3(master, mha(0).withExistenceTtl(Duration.ZERO), null);
         Arena a = slabs.arena()) {
      PageKey k = key();
      assertThat(l3.batchExists(List.of(k))).isZero();
      long hits = l3.existenceCacheStats().hitCount();
      // Another instance writes the page: this one keeps its cached answer until the TTL ends.
      other.batchSet(List.of(k), List.<MemorySegment[]>of(page(a, 64, 2, 1)));
      assertThat(l3.batchExists(List.of(k))).as("a cached negative").isZero();
      assertThat(l3.existenceCacheStats().hitCount()).isEqualTo(hits + 2);
      assertThat(other.batchExists(List.of(k))).as("an uncached view sees it at once").isEqualTo(1);
      // Our own write (which finds the page present) updates the cache.
      assertThat(l3.batchSet(List.of(k), List.<MemorySegment[]>of(page(a, 64, 2, 1)))).containsExactly(true);
      assertThat(l3.batchExists(List.of(k))).isEqualTo(1);
      // That existence check leased the page (the master's read lease): a remove waits it out.
      assertThat(l3.removePage(k)).isEqualTo(L3Store.Removal.IN_USE);
      awaitLeaseEnd();
      assertThat(l3.remove(k)).isTrue();
      assertThat(l3.batchExists(List.of(k))).isZero();
    }
  }

  /** The double's lease TTL while these tests run (short, so that waiting one out is cheap). */
  static final Duration LEASE = Duration.ofMillis(150);

  @BeforeAll
  static void shortLeases() {
    MooncakeDouble.controls().leaseTtl(LEASE);
  }

  static void awaitLeaseEnd() {
    try {
      Thread.sleep(LEASE.toMillis() + 50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void removePage_ofAPageAReaderHolds_isInUse_keepsItWhole_andRemovesItOnceTheLeaseEnds() {
    try (var l3 = l3(MooncakeDouble.freshMaster(), mha(0), null); Arena a = slabs.arena()) {
      PageKey k = key();
      MemorySegment[] src = page(a, 512, 2, 3);
      assertThat(l3.set(k, src)).isTrue();
      assertThat(l3.get(k, a.allocate(512, 64), a.allocate(512, 64))).isTrue(); // leases K and V
      assertThat(l3.removePage(k)).isEqualTo(L3Store.Removal.IN_USE);
      assertThat(l3.remove(k)).as("remove() is not a silent success either").isFalse();
      MemorySegment[] dst = {a.allocate(512, 64), a.allocate(512, 64)};
      assertThat(l3.get(k, dst)).isTrue();
      assertThat(dst[0].mismatch(src[0])).isEqualTo(-1);
      assertThat(dst[1].mismatch(src[1])).isEqualTo(-1);
      awaitLeaseEnd();
      assertThat(l3.removePage(k)).isEqualTo(L3Store.Removal.REMOVED);
      assertThat(l3.removePage(k)).isEqualTo(L3Store.Removal.ABSENT);
      assertThat(l3.exists(k)).isFalse();
    }
  }

  @Test
  void batchGet_aTransferLongerThanTheLease_isAMissForTheWholeBatch_andThePagesStayIntact() {
    var counted = new java.util.concurrent.ConcurrentHashMap<String, Long>();
    dev.hicache.api.spi.MetricsSink sink = new dev.hicache.api.spi.MetricsSink() {
      @Override public void count(String name, String label, long n) {
        counted.merge(name + "/" + label, n, Long::sum);
      }

      @Override public void gauge(String name, String label, long value) {}

      @Override public void observe(String name, String label, double value) {}
    };
    try (var l3 = l3(MooncakeDouble.freshMaster(), mha(0).withMetrics(sink), null); Arena a = slabs.arena()) {
      List<PageKey> keys = List.of(key(), key(), key());
      List<MemorySegment[]> src = List.of(page(a, 1024, 2, 1), page(a, 1024, 2, 2), page(a, 1024, 2, 3));
      assertThat(l3.batchSet(keys, src)).containsExactly(true, true, true);
      List<MemorySegment[]> dst = new ArrayList<>();
      for (int i = 0; i < 3; i++) dst.add(new MemorySegment[] {a.allocate(1024, 64), a.allocate(1024, 64)});
      MooncakeDouble.controls().readDelay(LEASE.plusMillis(100));
      try {
        assertThat(l3.batchGet(keys, dst)).containsExactly(false, false, false);
      } finally {
        MooncakeDouble.controls().readDelay(Duration.ZERO);
      }
      assertThat(counted).containsEntry("l3_read_failures/LEASE_EXPIRED (-707)", 6L);
      assertThat(l3.batchGet(keys, dst)).containsExactly(true, true, true);
      for (int i = 0; i < 3; i++) assertThat(dst.get(i)[0].mismatch(src.get(i)[0])).isEqualTo(-1);
    }
  }

  @Test
  void masterDown_callsFailFastAsUnavailable_andAfterARestartTheStoreIsEmptyAndUsable() {
    String master = MooncakeDouble.freshMaster();
    try (var l3 = l3(master, mha(0).withExistenceTtl(Duration.ofHours(1)), null); Arena a = slabs.arena()) {
      PageKey k = key();
      assertThat(l3.set(k, page(a, 256, 2, 1))).isTrue();
      assertThat(l3.exists(k)).isTrue();
      // Each call the library makes while the master is down blocks (seconds against a real one).
      MooncakeDouble.controls().stopMaster(master, Duration.ofSeconds(30));
      assertThat(l3.client().healthCheck()).isEqualTo(MooncakeStore.Health.MASTER_UNREACHABLE);
      long t0 = System.nanoTime();
      for (var call : List.<Runnable>of(() -> l3.batchExists(List.of(k)), () -> l3.get(k, page(a, 256, 2, 2)),
          () -> l3.set(key(), page(a, 256, 2, 3)), () -> l3.removePage(k), l3::clear)) {
        assertThatThrownBy(call::run).isInstanceOf(L3Exception.class)
            .satisfies(e -> assertThat(((L3Exception) e).reason()).isEqualTo(L3Exception.Cause.UNAVAILABLE))
            .hasMessageContaining("master is unreachable");
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("refused without calling the library")
          .isLessThan(Duration.ofSeconds(30));
      MooncakeDouble.controls().restartMaster(master);
      assertThat(l3.client().healthCheck()).isEqualTo(MooncakeStore.Health.HEALTHY);
      assertThat(l3.exists(k)).as("the restarted master knows no object, and the cached answer was dropped").isFalse();
      MemorySegment[] again = page(a, 256, 2, 4);
      assertThat(l3.set(k, again)).isTrue();
      MemorySegment[] dst = {a.allocate(256, 64), a.allocate(256, 64)};
      assertThat(l3.get(k, dst)).isTrue();
      assertThat(dst[0].mismatch(again[0])).isEqualTo(-1);
    }
  }

  @Test
  void mla_onlyRankZeroWrites_andEveryRankReadsTheSameObject() {
    String master = MooncakeDouble.freshMaster();
    try (var r0 = l3(master, MooncakeL3Store.Options.sglang(true, 0, 2), null);
         var r1 = l3(master, MooncakeL3Store.Options.sglang(true, 1, 2).withExistenceTtl(Duration.ZERO), null);
         Arena a = slabs.arena()) {
      PageKey k = key();
      MemorySegment[] latent = page(a, 512, 1, 9);
      assertThat(r1.batchSet(List.of(k), List.<MemorySegment[]>of(latent))).as("backup_skip acknowledges").containsExactly(true);
      assertThat(r1.batchExists(List.of(k))).as("rank 1 wrote nothing").isZero();
      assertThat(r0.batchSet(List.of(k), List.<MemorySegment[]>of(latent))).containsExactly(true);
      assertThat(r0.client().isExist(k.toHex() + "_k")).isTrue();
      MemorySegment[] back = {a.allocate(512, 64)};
      assertThat(r1.batchGet(List.of(k), List.<MemorySegment[]>of(back))).containsExactly(true);
      assertThat(back[0].mismatch(latent[0])).isEqualTo(-1);
      assertThatThrownBy(() -> r0.batchSet(List.of(k), List.<MemorySegment[]>of(page(a, 8, 2, 1))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MLA page has 1");
    }
  }

  @Test
  void mhaRanks_haveTheirOwnObjects() {
    String master = MooncakeDouble.freshMaster();
    try (var r0 = l3(master, mha(0), null); var r1 = l3(master, mha(1), null); Arena a = slabs.arena()) {
      PageKey k = key();
      r0.batchSet(List.of(k), List.<MemorySegment[]>of(page(a, 64, 2, 1)));
      assertThat(r1.batchExists(List.of(k))).isZero();
    }
  }

  @Test
  void clear_withAPrefix_dropsOnlyThisInstancesKeys() {
    String master = MooncakeDouble.freshMaster();
    var ns = new Namespace("m", "page_first", "bf16", null, null);
    try (var mine = l3(master, mha(0).withProfile(ObjectKeys.Profile.NAMESPACED, ns).withExistenceTtl(Duration.ZERO), "t");
         var sglang = l3(master, mha(0).withExistenceTtl(Duration.ZERO), null); Arena a = slabs.arena()) {
      PageKey k = key();
      mine.batchSet(List.of(k), List.<MemorySegment[]>of(page(a, 64, 2, 1)));
      sglang.batchSet(List.of(k), List.<MemorySegment[]>of(page(a, 64, 2, 2)));
      assertThat(mine.objectKeys().key(k, 0)).startsWith("t_" + ns.formatTag() + "_");
      mine.clear();
      assertThat(mine.batchExists(List.of(k))).isZero();
      assertThat(sglang.batchExists(List.of(k))).as("another instance's keys stay").isEqualTo(1);
      sglang.clear(); // no prefix: SGLang's remove_all, not forced
      assertThat(sglang.batchExists(List.of(k))).as("the existence check above leased it: a clear keeps it").isEqualTo(1);
      awaitLeaseEnd();
      sglang.clear();
      assertThat(sglang.batchExists(List.of(k))).isZero();
    }
  }

  @Test
  void registrar_registersHostMemoryOnce_andZeroCopyRefusesTheRest() {
    try (MooncakeStore client = MooncakeDouble.store(); Arena host = Arena.ofConfined()) {
      var l3 = new MooncakeL3Store(client, false, mha(0), null);
      MemoryRegistrar reg = l3.registrar();
      assertThat(reg.name()).isEqualTo("mooncake");
      MemorySegment pool = host.allocate(1 << 20, 4096); // an L2 host pool
      PageKey k = key();
      MemorySegment[] parts = {pool.asSlice(0, 4096), pool.asSlice(4096, 4096)};
      assertThatThrownBy(() -> l3.batchSet(List.of(k), List.<MemorySegment[]>of(parts)))
          .isInstanceOf(L3Exception.class).hasMessageContaining("not inside a region registered");
      MemoryRegistrar.Registration r = reg.register(pool);
      assertThat(r.segment()).isEqualTo(pool);
      pool.asSlice(0, 8192).fill((byte) 42);
      assertThat(l3.batchSet(List.of(k), List.<MemorySegment[]>of(parts))).containsExactly(true);
      MemorySegment[] into = {pool.asSlice(65536, 4096), pool.asSlice(69632, 4096)};
      assertThat(l3.batchGet(List.of(k), List.<MemorySegment[]>of(into))).containsExactly(true);
      assertThat(into[1].get(JAVA_BYTE, 4095)).isEqualTo((byte) 42);
      r.close();
      r.close();
      assertThatThrownBy(() -> l3.batchGet(List.of(k), List.<MemorySegment[]>of(into))).isInstanceOf(L3Exception.class);
      MemoryRegistrar.Registration again = reg.register(pool);
      l3.close();
      assertThat(client.isReady()).as("a view that does not own the client leaves it open").isTrue();
      client.close();
      again.close(); // after the store is gone: destroying it released the registration already
      assertThatThrownBy(() -> l3.batchExists(List.of(k))).isInstanceOf(L3Exception.class).hasMessageContaining("closed");
    }
  }

  @Test
  void open_fromTheEnvironment_setsUpWarmsUpAndLeavesNoWarmUpKey() {
    Map<String, String> env = new HashMap<>();
    env.put("MOONCAKE_STORE_LIBRARY", MooncakeDouble.path().toString());
    env.put("MOONCAKE_MASTER", MooncakeDouble.freshMaster());
    env.put("MOONCAKE_GLOBAL_SEGMENT_SIZE", "64mb");
    MooncakeDouble.library();
    try (var l3 = MooncakeL3Store.open(MooncakeConfig.load(env, Map.of()), mha(0).withWarmup(1, Duration.ZERO), env);
         Arena a = slabs.arena()) {
      assertThat(l3.client().isReady()).isTrue();
      assertThat(l3.client().removeAll(true)).as("the warm-up key was removed").isZero();
      l3.client().registerBuffer(slabs.region());
      PageKey k = key();
      assertThat(l3.batchSet(List.of(k), List.<MemorySegment[]>of(page(a, 64, 2, 1)))).containsExactly(true);
    }
  }

  @Test
  void open_whenTheWarmUpCannotStore_failsAfterItsAttempts_andLeavesNothingOpen() {
    Map<String, String> env = new HashMap<>();
    env.put("MOONCAKE_MASTER", MooncakeDouble.freshMaster());
    env.put("MOONCAKE_GLOBAL_SEGMENT_SIZE", "0"); // a pure client with no store node: no space anywhere
    MooncakeDouble.library();
    assertThatThrownBy(() -> MooncakeL3Store.open(MooncakeConfig.load(env, Map.of()), mha(0).withWarmup(3, Duration.ZERO), env))
        .isInstanceOf(MooncakeException.OperationFailed.class)
        .satisfies(e -> assertThat(((L3Exception) e).reason()).isEqualTo(L3Exception.Cause.FULL));
  }

  @Test
  void open_withAnAbortingMetadataScheme_failsInJava() {
    Map<String, String> env = Map.of("MOONCAKE_MASTER", MooncakeDouble.freshMaster(), "MOONCAKE_TE_META_DATA_SERVER", "etcd://x:2379");
    MooncakeDouble.library();
    assertThatThrownBy(() -> MooncakeL3Store.open(MooncakeConfig.load(env, Map.of()), mha(0), env))
        .isInstanceOf(MooncakeException.InvalidArgument.class).hasMessageContaining("MOONCAKE_TE_META_DATA_SERVER");
  }
}
