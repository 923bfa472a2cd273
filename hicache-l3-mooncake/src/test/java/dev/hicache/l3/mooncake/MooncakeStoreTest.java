package dev.hicache.l3.mooncake;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hicache.api.spi.L3Exception.Cause;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The binding against the C double: marshalling, return-code conventions, error mapping,
 * registration rules and concurrency (docs/behaviour.md#mooncake-store, and the tests of Mooncake's
 * Rust and Go bindings).
 */
class MooncakeStoreTest {
  static Arena arena;
  static MooncakeStore store;
  /** A registered region the tests carve buffers from. */
  static MemorySegment region;

  @BeforeAll
  static void open() {
    arena = Arena.ofShared();
    store = MooncakeDouble.store();
    region = arena.allocate(8 << 20, 4096);
    store.registerBuffer(region);
  }

  @AfterAll
  static void close() {
    if (store != null) store.close();
    if (arena != null) arena.close();
  }

  static MemorySegment bytes(long offset, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    MemorySegment seg = region.asSlice(offset, b.length);
    MemorySegment.copy(b, 0, seg, JAVA_BYTE, 0, b.length);
    return seg;
  }

  static String text(MemorySegment s) {
    return new String(s.toArray(JAVA_BYTE), StandardCharsets.UTF_8);
  }

  static String unique(String what) {
    return what + "-" + System.nanoTime();
  }

  @Test
  void rustIntegrationSequence_onTheDouble() {
    // setup, health, put, is_exist, get_size, get, hostname, remove(force), is_exist (Mooncake's
    // Rust binding's sequence).
    assertThat(store.healthCheck()).isEqualTo(MooncakeStore.Health.HEALTHY);
    String key = unique("rust-seq");
    MemorySegment value = arena.allocate(11).copyFrom(MemorySegment.ofArray("hello world".getBytes(StandardCharsets.US_ASCII)));
    store.put(key, value, null);
    assertThat(store.isExist(key)).isTrue();
    assertThat(store.getSize(key)).isEqualTo(11);
    try (Arena a = Arena.ofConfined()) {
      assertThat(text(store.get(key, a))).isEqualTo("hello world");
    }
    assertThat(store.hostname()).isNotBlank().startsWith("localhost:");
    assertThat(store.remove(key, true)).isTrue();
    assertThat(store.isExist(key)).isFalse();
  }

  @Test
  void copyingPut_acceptsHeapMemory_andAnExistingKeyKeepsItsValue() {
    String key = unique("put-if-absent");
    store.put(key, MemorySegment.ofArray("first".getBytes(StandardCharsets.US_ASCII)), null);
    store.put(key, MemorySegment.ofArray("other".getBytes(StandardCharsets.US_ASCII)), null);
    MemorySegment back = region.asSlice(4096, 5);
    assertThat(store.getInto(key, back)).isEqualTo(5);
    assertThat(text(back)).isEqualTo("first");
  }

  @Test
  void errors_mapToNamedCodes() {
    String missing = unique("missing");
    var notFound = catchThrowableOfType(MooncakeException.OperationFailed.class, () -> store.getSize(missing));
    assertThat(notFound.errorCode()).isEqualTo(ErrorCode.OBJECT_NOT_FOUND);
    assertThat(notFound.errorCode().isMiss()).isTrue();
    assertThat(notFound).hasMessageContaining("OBJECT_NOT_FOUND (-704)").hasMessageContaining(missing);
    assertThat(catchThrowableOfType(MooncakeException.OperationFailed.class,
        () -> store.getInto(missing, region.asSlice(0, 8))).errorCode()).isEqualTo(ErrorCode.OBJECT_NOT_FOUND);

    // A copying put larger than the 1 MiB local buffer: INVALID_PARAMS
    // (docs/behaviour.md#observed-store-behaviour).
    var tooBig = catchThrowableOfType(MooncakeException.OperationFailed.class,
        () -> store.put(unique("big"), region.asSlice(0, 2 << 20), null));
    assertThat(tooBig.errorCode()).isEqualTo(ErrorCode.INVALID_PARAMS);
    assertThat(tooBig.reason()).isEqualTo(Cause.INVALID_ARGUMENT);

    // A get buffer smaller than the object: INVALID_PARAMS, nothing read.
    String key = unique("small-buffer");
    store.putFrom(key, bytes(0, "0123456789"), null);
    MemorySegment small = region.asSlice(100, 4).fill((byte) 'x');
    assertThat(catchThrowableOfType(MooncakeException.OperationFailed.class, () -> store.getInto(key, small)).errorCode())
        .isEqualTo(ErrorCode.INVALID_PARAMS);
    assertThat(text(small)).isEqualTo("xxxx");

    // remove_by_regex with a pattern the library cannot compile: -1, ambiguous.
    var bad = catchThrowableOfType(MooncakeException.OperationFailed.class, () -> store.removeByRegex("(", true));
    assertThat(bad.errorCode().isAmbiguous()).isTrue();
    assertThat(bad.reason()).isEqualTo(Cause.INTERNAL);
  }

  @Test
  void lease_aReadKeyIsRemovedOnlyByForce() {
    String key = unique("leased");
    store.putFrom(key, bytes(0, "lease me"), null);
    assertThat(store.getInto(key, region.asSlice(200, 8))).isEqualTo(8);
    assertThat(catchThrowableOfType(MooncakeException.OperationFailed.class, () -> store.remove(key, false)).errorCode())
        .isEqualTo(ErrorCode.OBJECT_HAS_LEASE);
    assertThat(store.isExist(key)).isTrue();
    assertThat(store.remove(key, true)).isTrue();
    assertThat(store.remove(key, true)).as("a missing key is reported, not thrown").isFalse();
  }

  @Test
  void batchCalls_marshalKeysBuffersSizesAndResults() {
    String p = unique("batch");
    String[] keys = {p + "-a", p + "-b", p + "-c"};
    MemorySegment[] src = {bytes(0, "alpha"), bytes(64, "bravo!"), bytes(128, "charlie")};
    assertThat(store.batchPutFrom(new String[] {keys[0], keys[1]}, new MemorySegment[] {src[0], src[1]}, null))
        .containsExactly(0, 0);
    // Go binding: batch_is_exist on three keys with two present.
    assertThat(store.batchIsExist(keys)).containsExactly(1, 1, 0);
    MemorySegment[] dst = {region.asSlice(1024, 5), region.asSlice(2048, 6), region.asSlice(3072, 7)};
    assertThat(store.batchGetInto(keys, dst)).containsExactly(5, 6, ErrorCode.OBJECT_NOT_FOUND.code());
    assertThat(text(dst[0])).isEqualTo("alpha");
    assertThat(text(dst[1])).isEqualTo("bravo!");
    assertThat(store.removeByRegex("^" + MooncakeL3Store.regexLiteral(p) + "-[ab]$", true)).isEqualTo(2);
    assertThat(store.batchIsExist(keys)).containsExactly(0, 0, 0);
  }

  @Test
  void batchCalls_emptyAreAnsweredWithoutTheLibrary_andMismatchedLengthsAreRefused() {
    assertThat(store.batchIsExist(new String[0])).isEmpty();
    assertThat(store.batchGetInto(new String[0], new MemorySegment[0])).isEmpty();
    assertThat(store.batchPutFrom(new String[0], new MemorySegment[0], null)).isEmpty();
    assertThatThrownBy(() -> store.batchGetInto(new String[] {"a", "b"}, new MemorySegment[] {region.asSlice(0, 1)}))
        .isInstanceOf(MooncakeException.InvalidArgument.class).hasMessageContaining("2 keys but 1 buffers");
    assertThatThrownBy(() -> store.batchPutFrom(new String[] {"a"}, new MemorySegment[2], null))
        .isInstanceOf(MooncakeException.InvalidArgument.class);
  }

  @Test
  void strings_interiorNulAndBadKeysAreInvalidStrings() {
    assertThatThrownBy(() -> store.isExist("a\0b")).isInstanceOf(MooncakeException.InvalidString.class);
    assertThatThrownBy(() -> store.isExist("")).isInstanceOf(MooncakeException.InvalidString.class);
    assertThatThrownBy(() -> store.isExist("naïve")).isInstanceOf(MooncakeException.InvalidString.class)
        .hasMessageContaining("printable ASCII");
    assertThatThrownBy(() -> store.isExist("k".repeat(4097))).isInstanceOf(MooncakeException.InvalidString.class)
        .hasMessageContaining("4096");
    assertThatThrownBy(() -> store.batchIsExist(new String[] {"ok", "bad\0"})).isInstanceOf(MooncakeException.InvalidString.class);
    assertThat(store.isExist("k".repeat(4096))).isFalse();
    assertThatThrownBy(() -> store.removeByRegex("a\0", true)).isInstanceOf(MooncakeException.InvalidString.class);
  }

  @Test
  void replicateConfig_isMarshalled() {
    String key = unique("replicated");
    var cfg = new ReplicateConfig(2, true, false, List.of(store.hostname(), "other-node:12345"));
    store.putFrom(key, bytes(0, "copies"), cfg);
    assertThat(store.isExist(key)).isTrue();
    // The double, like the master, refuses replica_num 0; the Java record refuses it first.
    assertThatThrownBy(() -> new ReplicateConfig(0, false, false, List.of())).hasMessageContaining("replica_num must be >= 1");
    try (Arena a = Arena.ofConfined()) {
      MemorySegment c = new ReplicateConfig(3, true, true, List.of("x:1")).toNative(a);
      assertThat(c.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0)).isEqualTo(3);
      assertThat(c.get(JAVA_INT, 8)).isEqualTo(1);
      assertThat(c.get(JAVA_INT, 12)).isEqualTo(1);
      assertThat(c.get(ADDRESS, 16).reinterpret(8).get(ADDRESS, 0).reinterpret(4).getString(0)).isEqualTo("x:1");
      assertThat(c.get(java.lang.foreign.ValueLayout.JAVA_LONG, 24)).isEqualTo(1);
      MemorySegment none = ReplicateConfig.DEFAULT.toNative(a);
      assertThat(none.get(ADDRESS, 16)).isEqualTo(MemorySegment.NULL);
      assertThat(ReplicateConfig.toNative(null, a)).as("no config is a NULL pointer").isEqualTo(MemorySegment.NULL);
    }
    assertThatThrownBy(() -> store.putFrom(unique("k"), bytes(0, "x"), new ReplicateConfig(1, false, false, List.of("a\0b"))))
        .isInstanceOf(MooncakeException.InvalidString.class);
  }

  @Test
  void registration_zeroCopyAcceptsOnlyRegisteredOffHeapMemory() {
    String key = unique("unregistered");
    try (Arena a = Arena.ofConfined()) {
      MemorySegment loose = a.allocate(64);
      assertThatThrownBy(() -> store.putFrom(key, loose, null))
          .isInstanceOf(MooncakeException.InvalidArgument.class).hasMessageContaining("not inside a region registered");
      assertThatThrownBy(() -> store.putFrom(key, MemorySegment.ofArray(new byte[8]), null))
          .isInstanceOf(MooncakeException.InvalidArgument.class).hasMessageContaining("heap");
      assertThatThrownBy(() -> store.batchGetInto(new String[] {key}, new MemorySegment[] {loose}))
          .isInstanceOf(MooncakeException.InvalidArgument.class);
      // Straddling the end of the registered region is outside it too.
      assertThatThrownBy(() -> store.getInto(key, MemorySegment.ofAddress(region.address() + region.byteSize() - 4).reinterpret(8)))
          .isInstanceOf(MooncakeException.InvalidArgument.class);
      assertThatThrownBy(() -> store.registerBuffer(region.asSlice(4096, 4096)))
          .isInstanceOf(MooncakeException.InvalidArgument.class).hasMessageContaining("overlaps");
      assertThatThrownBy(() -> store.registerBuffer(MemorySegment.ofArray(new byte[8])))
          .isInstanceOf(MooncakeException.InvalidArgument.class).hasMessageContaining("off-heap");
      assertThatThrownBy(() -> store.unregisterBuffer(region.asSlice(64)))
          .isInstanceOf(MooncakeException.InvalidArgument.class).hasMessageContaining("not the base");

      MemorySegment extra = a.allocate(4096, 64);
      store.registerBuffer(extra);
      MemorySegment.copy(MemorySegment.ofArray("registered".getBytes(StandardCharsets.US_ASCII)), 0, extra, 100, 10);
      store.putFrom(key, extra.asSlice(100, 10), null);
      store.unregisterBuffer(extra);
      assertThatThrownBy(() -> store.getInto(key, extra.asSlice(0, 10))).isInstanceOf(MooncakeException.InvalidArgument.class);
      assertThat(text(store.get(key, a))).isEqualTo("registered");
    }
  }

  @Test
  void theDouble_enforcesTheSameRulesAtTheCBoundary() {
    // Conformance of the double itself, called raw: NULL handle -1, NULL arrays -1 even for count 0,
    // unregistered memory rejected like rdma (TRANSFER_FAIL), NULL config allowed.
    StoreCLibrary lib = store.library();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment key = a.allocateFrom("raw-key");
      assertThat(lib.isExist(MemorySegment.NULL, key)).isEqualTo(-1);
      assertThat(lib.healthCheck(MemorySegment.NULL)).isEqualTo(-1);
      MemorySegment h = lib.create();
      try {
        assertThat(lib.healthCheck(h)).as("not set up").isEqualTo(1);
        assertThat(lib.isExist(h, key)).isEqualTo(ErrorCode.INVALID_PARAMS.code());
        assertThat(lib.batchIsExist(h, MemorySegment.NULL, 0, a.allocate(4))).isEqualTo(-1);
        assertThat(lib.setup(h, a.allocateFrom("localhost"), a.allocateFrom("P2PHANDSHAKE"), 1 << 20, 0,
            MemorySegment.NULL, MemorySegment.NULL, a.allocateFrom(MooncakeDouble.freshMaster()))).isZero();
        MemorySegment loose = a.allocate(16);
        assertThat(lib.putFrom(h, key, loose, 16, MemorySegment.NULL)).isEqualTo(ErrorCode.TRANSFER_FAIL.code());
        assertThat(lib.putFrom(h, key, loose, 0, MemorySegment.NULL)).as("size 0 stores nothing").isZero();
        assertThat(lib.put(h, key, loose, 16, MemorySegment.NULL)).as("no local buffer").isEqualTo(ErrorCode.INVALID_PARAMS.code());
        assertThat(lib.getHostname(h, a.allocate(4), 4)).as("buffer too short").isEqualTo(-1);
        MemorySegment keys = a.allocate(ADDRESS, 1);
        keys.setAtIndex(ADDRESS, 0, key);
        MemorySegment out = a.allocate(JAVA_INT, 1);
        assertThat(lib.batchPutFrom(h, keys, MemorySegment.NULL, a.allocate(8), 1, MemorySegment.NULL, out)).isEqualTo(-1);
        assertThat(lib.registerBuffer(h, loose, 0)).isEqualTo(-1);
        assertThat(lib.unregisterBuffer(h, loose)).isEqualTo(ErrorCode.INVALID_PARAMS.code());
      } finally {
        lib.destroy(h);
      }
      lib.destroy(MemorySegment.NULL); // a no-op, as in the library
    }
  }

  @Test
  void beforeSetup_callsFailAsNotInitialized_andSetupValidatesFirst() {
    try (MooncakeStore fresh = MooncakeStore.create(MooncakeDouble.library())) {
      assertThat(fresh.healthCheck()).isEqualTo(MooncakeStore.Health.NOT_INITIALIZED);
      assertThat(catchThrowableOfType(MooncakeException.OperationFailed.class, () -> fresh.isExist("k")).errorCode())
          .isEqualTo(ErrorCode.INVALID_PARAMS);
      // Each of these would abort the process inside the double, as inside the real library.
      for (String meta : new String[] {"", "etcd://127.0.0.1:2379", "127.0.0.1:2379"}) {
        assertThatThrownBy(() -> fresh.setup(new SetupParams("localhost", meta, 0, 0, "tcp", "", "m:1"), MooncakeDouble.DEADLINE, Map.of()))
            .isInstanceOf(MooncakeException.InvalidArgument.class).hasMessageContaining("metadata_server");
      }
      assertThatThrownBy(() -> fresh.setup(new SetupParams("localhost", "P2PHANDSHAKE", 0, 0, "cxl", "", "m:1"),
          MooncakeDouble.DEADLINE, Map.of())).hasMessageContaining("MC_CXL_DEV_SIZE");
      assertThat(fresh.isReady()).isFalse();
      fresh.setup(MooncakeDouble.params(MooncakeDouble.freshMaster(), 0, 0), MooncakeDouble.DEADLINE, Map.of());
      assertThat(fresh.isReady()).isTrue();
      assertThatThrownBy(() -> fresh.setup(MooncakeDouble.params(MooncakeDouble.freshMaster(), 0, 0), MooncakeDouble.DEADLINE, Map.of()))
          .isInstanceOf(MooncakeException.InvalidArgument.class).hasMessageContaining("once");
    }
  }

  @Test
  void setup_unreachableMaster_isAnAmbiguousFailure() {
    try (MooncakeStore fresh = MooncakeStore.create(MooncakeDouble.library())) {
      var e = catchThrowableOfType(MooncakeException.OperationFailed.class,
          () -> fresh.setup(MooncakeDouble.params("unreachable:50051", 0, 0), MooncakeDouble.DEADLINE, Map.of()));
      assertThat(e.code()).isEqualTo(-1);
      assertThat(e.reason()).isEqualTo(Cause.INTERNAL);
      assertThat(e).hasMessageContaining("unreachable:50051").hasMessageContaining("ambiguous")
          .as("the error says which server could not be reached").hasMessageContaining("does not resolve");
    }
  }

  @Test
  void setupDiagnosis_namesTheServerThatDoesNotAnswer() throws Exception {
    try (var metadata = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int closedPort;
      try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        closedPort = probe.getLocalPort();
      }
      var params = new SetupParams("localhost", "http://127.0.0.1:" + metadata.getLocalPort() + "/metadata", 0, 0, "tcp",
          "", "127.0.0.1:" + closedPort);
      String d = SetupDiagnosis.describe(params, java.time.Duration.ofSeconds(2));
      assertThat(d).contains("master 127.0.0.1:" + closedPort + " (MOONCAKE_MASTER): UNREACHABLE")
          .contains("metadata server http://127.0.0.1:" + metadata.getLocalPort() + "/metadata (MOONCAKE_TE_META_DATA_SERVER): accepts connections");
      assertThat(SetupDiagnosis.describe(new SetupParams("localhost", "P2PHANDSHAKE", 0, 0, "tcp", "", "etcd://h:1;h:2"),
          java.time.Duration.ofSeconds(1))).contains("not a host:port address").doesNotContain("metadata");
    }
  }

  @Test
  void setup_pastItsDeadline_timesOut_andCloseStillReleasesTheStore() throws Exception {
    MooncakeStore slow = MooncakeStore.create(MooncakeDouble.library());
    assertThatThrownBy(() -> slow.setup(MooncakeDouble.params("slow-" + MooncakeDouble.freshMaster(), 0, 0),
        Duration.ofMillis(1), Map.of()))
        .isInstanceOf(MooncakeException.Timeout.class).hasMessageContaining("did not finish within");
    assertThatThrownBy(slow::healthCheck).as("unusable while setup still runs")
        .isInstanceOfAny(MooncakeException.Timeout.class, MooncakeException.NullHandle.class);
    slow.close(); // returns at once; the handle is destroyed when setup returns
    assertThatThrownBy(slow::healthCheck).isInstanceOf(MooncakeException.NullHandle.class);
    slow.close();
  }

  @Test
  void close_isIdempotent_andAClosedStoreFailsLoudly() {
    MooncakeStore s = MooncakeDouble.store();
    s.close();
    s.close();
    assertThatThrownBy(() -> s.isExist("k")).isInstanceOf(MooncakeException.NullHandle.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> s.registerBuffer(region)).isInstanceOf(MooncakeException.NullHandle.class);
  }

  @Test
  void segments_capacityIsMounted_andAClientsObjectsGoWithIt() {
    String master = MooncakeDouble.freshMaster();
    try (MooncakeStore pureClient = MooncakeDouble.store(master, 0)) {
      var full = catchThrowableOfType(MooncakeException.OperationFailed.class,
          () -> pureClient.put("k", MemorySegment.ofArray(new byte[16]), null));
      assertThat(full.errorCode()).isEqualTo(ErrorCode.NO_AVAILABLE_HANDLE);
      assertThat(full.reason()).isEqualTo(Cause.FULL);
      MooncakeStore node = MooncakeDouble.store(master, 1 << 20);
      pureClient.put("k", MemorySegment.ofArray(new byte[16]), null);
      assertThat(pureClient.isExist("k")).as("stored in the node's segment").isTrue();
      node.close();
      assertThat(pureClient.isExist("k")).as("unmounting lost it").isFalse();
    }
  }

  @Test
  void concurrentZeroCopy_fromSeveralThreads_keepsEveryByte() throws Exception {
    int threads = 4, rounds = 300, size = 1024;
    var errors = new ConcurrentLinkedQueue<String>();
    var barrier = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    String prefix = unique("conc");
    for (int t = 0; t < threads; t++) {
      final int id = t;
      workers.add(Thread.ofPlatform().start(() -> {
        MemorySegment mine = region.asSlice((long) (1 + id) * (1 << 20), 4 * size);
        SplittableRandom r = new SplittableRandom(id);
        try {
          barrier.await();
          for (int i = 0; i < rounds; i++) {
            String k = prefix + "-" + id + "-" + i;
            byte[] v = new byte[size];
            r.nextBytes(v);
            MemorySegment.copy(v, 0, mine, JAVA_BYTE, 0, size);
            if (i % 2 == 0) store.putFrom(k, mine.asSlice(0, size), null);
            else assertThat(store.batchPutFrom(new String[] {k}, new MemorySegment[] {mine.asSlice(0, size)}, null)).containsExactly(0);
            MemorySegment back = mine.asSlice(size, size);
            long n = i % 3 == 0 ? store.getInto(k, back) : store.batchGetInto(new String[] {k}, new MemorySegment[] {back})[0];
            if (n != size || back.mismatch(mine.asSlice(0, size)) != -1) errors.add(k + " read back wrong");
            if (i % 5 == 0) store.remove(k, true);
          }
        } catch (Throwable e) {
          errors.add("thread " + id + ": " + e);
        }
      }));
    }
    for (Thread w : workers) w.join();
    assertThat(errors).isEmpty();
    assertThat(store.removeByRegex("^" + MooncakeL3Store.regexLiteral(prefix) + "-", true)).isEqualTo(threads * (rounds - rounds / 5));
  }

  /**
   * Close racing single calls: the lifecycle guard must let no destroy run while a {@code
   * get_into} is inside the client (the double counts such destroys), and every call either reads
   * its bytes or fails as closed. Reads are slowed to 200 µs so that calls are in flight when
   * close comes.
   */
  @Test
  void close_racingSingleCalls_neverDestroysTheClientUnderACall() throws Exception {
    var controls = MooncakeDouble.controls();
    long before = controls.destroysDuringCalls();
    controls.readDelay(java.time.Duration.ofNanos(200_000));
    try {
      for (int round = 0; round < 20; round++) {
        MooncakeStore s = MooncakeDouble.store();
        MemorySegment mine = arena.allocate(64 << 10, 4096);
        s.registerBuffer(mine);
        String key = unique("race");
        s.putFrom(key, mine.asSlice(0, 4096), null);
        var errors = new ConcurrentLinkedQueue<String>();
        var started = new java.util.concurrent.CountDownLatch(4);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          final int id = t;
          workers.add(Thread.ofPlatform().start(() -> {
            started.countDown();
            try {
              while (true) {
                if (s.getInto(key, mine.asSlice((1 + id) * 8192L, 4096)) != 4096) errors.add("short read");
              }
            } catch (MooncakeException.NullHandle closed) {
              // the store was closed: the expected end
            } catch (Throwable e) {
              errors.add("thread " + id + ": " + e);
            }
          }));
        }
        started.await();
        Thread.sleep(1);
        s.close();
        for (Thread w : workers) w.join();
        assertThat(controls.destroysDuringCalls() - before).as("destroys that found a get_into still in the client")
            .isZero();
        assertThat(errors).isEmpty();
      }
    } finally {
      controls.readDelay(java.time.Duration.ZERO);
    }
  }

  /**
   * {@code get(key, arena)} registers its target, reads, and unregisters it. Registering takes the
   * region registry's monitor and then a call's read side; unregistering takes the exclusive lock,
   * and used to take the registry's monitor inside it: two threads doing this at once could each
   * hold what the other waited for, for ever. Now both take the monitor first.
   */
  @Test
  void concurrentGets_registeringTheirTargets_neverDeadlock() throws Exception {
    MooncakeStore s = MooncakeDouble.store();
    MemorySegment src = arena.allocate(4096, 4096);
    s.registerBuffer(src);
    String key = unique("dl");
    s.putFrom(key, src, null);
    var errors = new ConcurrentLinkedQueue<String>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      workers.add(Thread.ofPlatform().daemon(true).start(() -> {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
          for (int i = 0; i < 2_000; i++) {
            if (s.get(key, a).byteSize() != 4096) errors.add("short read");
          }
        } catch (Throwable e) {
          errors.add(e.toString());
        }
      }));
    }
    for (Thread w : workers) {
      w.join(30_000);
      assertThat(w.isAlive()).as("a get(key, arena) still running after 30 s: deadlocked").isFalse();
    }
    assertThat(errors).isEmpty();
  }
}
