package dev.hicache.l3.mooncake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * Against a real Mooncake Store: runs only when {@code MOONCAKE_STORE_LIBRARY} names a real
 * {@code libmooncake_store.so} (not the test double) and the master answers; otherwise it is
 * skipped and says why. Set-up: README.md ("Running against a real Mooncake").
 *
 * <p>Environment: {@code MOONCAKE_MASTER} (default {@code 127.0.0.1:50051}), {@code
 * MOONCAKE_TE_META_DATA_SERVER} (default {@code http://127.0.0.1:8080/metadata}), {@code
 * MOONCAKE_LOCAL_HOSTNAME} (default {@code 127.0.0.1}), {@code MOONCAKE_PROTOCOL} (default tcp).
 * One client serves the whole class (destroy takes seconds,
 * docs/behaviour.md#observed-store-behaviour); it mounts a 512 MiB segment with a 128 MiB local
 * buffer, like Mooncake's Rust integration test.
 */
class MooncakeRealStoreTest {
  static MooncakeStore client;
  static RegisteredSlabs slabs;

  /** Why this class cannot run here; null when a real store is there. */
  static String whyNot;

  @BeforeAll
  static void connect() {
    Map<String, String> env = System.getenv();
    String lib = env.get(StoreCLibrary.LIBRARY_ENV);
    String master = env.getOrDefault("MOONCAKE_MASTER", "127.0.0.1:50051");
    String why = null;
    if (lib == null || lib.isEmpty()) {
      why = StoreCLibrary.LIBRARY_ENV + " is not set";
    } else if (!Files.isRegularFile(Path.of(lib))) {
      why = StoreCLibrary.LIBRARY_ENV + "=" + lib + " is not a file";
    } else if (Path.of(lib).getFileName().toString().contains("double")) {
      why = StoreCLibrary.LIBRARY_ENV + "=" + lib + " is the test double, not Mooncake";
    } else if (!reachable(master)) {
      why = "no Mooncake master answers at " + master + " (MOONCAKE_MASTER)";
    }
    whyNot = why;
    if (why != null) {
      // Each test then reports itself skipped with this reason (an assumption failing here, before
      // any test, would hide them all: "Tests run: 0").
      System.out.println("[SKIPPED] real-Mooncake integration tests: " + why + ". See hicache-l3-mooncake/README.md.");
      return;
    }
    client = MooncakeStore.create(StoreCLibrary.ensureLoaded(env));
    client.setup(new SetupParams(env.getOrDefault("MOONCAKE_LOCAL_HOSTNAME", "127.0.0.1"),
        env.getOrDefault("MOONCAKE_TE_META_DATA_SERVER", "http://127.0.0.1:8080/metadata"), 512L << 20, 128L << 20,
        env.getOrDefault("MOONCAKE_PROTOCOL", "tcp"), env.getOrDefault("MOONCAKE_DEVICE", ""), master),
        MooncakeL3Store.DEFAULT_SETUP_DEADLINE, env);
    slabs = new RegisteredSlabs(8, 4 << 20);
    client.registerBuffer(slabs.region());
  }

  @BeforeEach
  void realStoreOnly() {
    assumeTrue(whyNot == null, () -> "no real Mooncake store: " + whyNot);
  }

  @AfterAll
  static void disconnect() {
    if (client != null) client.close();
    if (slabs != null) slabs.close();
  }

  private static boolean reachable(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) return false;
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))), 1000);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The real library exports exactly the 19 functions the binding declares (docs/behaviour.md#observed-store-behaviour). */
  @Test
  void theLibrary_exportsExactlyTheBoundFunctions() throws Exception {
    var exported = StoreCLibraryTest.exportedStoreSymbols(Path.of(System.getenv(StoreCLibrary.LIBRARY_ENV)));
    assumeTrue(exported != null, "nm (binutils) is not installed");
    assertThat(exported).containsExactlyInAnyOrderElementsOf(StoreCLibrary.FUNCTIONS.keySet());
  }

  /** Mooncake's Rust integration sequence, plus the Go binding's batch checks. */
  @Test
  void bindingSequence_likeMooncakesOwnIntegrationTests() {
    assertThat(client.healthCheck()).isEqualTo(MooncakeStore.Health.HEALTHY);
    String key = "hicache-jvm-it-" + UUID.randomUUID();
    byte[] value = "hello from the JVM".getBytes(StandardCharsets.US_ASCII);
    client.put(key, MemorySegment.ofArray(value), null);
    assertThat(client.isExist(key)).isTrue();
    assertThat(client.getSize(key)).isEqualTo(value.length);
    try (Arena a = Arena.ofConfined()) {
      assertThat(client.get(key, a).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(value);
    }
    assertThat(client.hostname()).isNotBlank();
    assertThat(client.batchIsExist(new String[] {key, key + "-absent"})).containsExactly(1, 0);
    assertThat(client.remove(key, true)).isTrue();
    assertThat(client.isExist(key)).isFalse();
    var missing = org.assertj.core.api.Assertions.catchThrowableOfType(MooncakeException.OperationFailed.class,
        () -> client.getSize(key));
    assertThat(missing.errorCode()).isEqualTo(ErrorCode.OBJECT_NOT_FOUND);
  }

  /** A prefetch end to end: write back 128 MHA pages, query them, read them into host memory. */
  @Test
  void writeBackThenPrefetch_128Pages() {
    var ns = new Namespace("it-" + UUID.randomUUID(), "page_first", "bf16", null, null);
    try (var l3 = new MooncakeL3Store(client, false,
        MooncakeL3Store.Options.sglang(false, 0, 1).withProfile(ObjectKeys.Profile.NAMESPACED, ns), null);
         Arena a = slabs.arena()) {
      var rnd = new SplittableRandom(3);
      List<PageKey> keys = new ArrayList<>();
      List<MemorySegment[]> src = new ArrayList<>(), dst = new ArrayList<>();
      for (int p = 0; p < L3Store.MAX_BATCH_PAGES; p++) {
        byte[] d = new byte[32];
        rnd.nextBytes(d);
        keys.add(PageKey.ofDigest(d));
        MemorySegment k = a.allocate(4096, 64), v = a.allocate(4096, 64);
        for (long o = 0; o < 4096; o += 8) {
          k.set(ValueLayout.JAVA_LONG, o, rnd.nextLong());
          v.set(ValueLayout.JAVA_LONG, o, rnd.nextLong());
        }
        src.add(new MemorySegment[] {k, v});
        dst.add(new MemorySegment[] {a.allocate(4096, 64), a.allocate(4096, 64)});
      }
      assertThat(l3.batchSet(keys, src)).doesNotContain(false);
      assertThat(l3.batchExists(keys)).isEqualTo(keys.size());
      assertThat(l3.batchGet(keys, dst)).doesNotContain(false);
      for (int p = 0; p < keys.size(); p++) {
        assertThat(dst.get(p)[0].mismatch(src.get(p)[0])).isEqualTo(-1);
        assertThat(dst.get(p)[1].mismatch(src.get(p)[1])).isEqualTo(-1);
      }
      l3.clear();
      assertThat(l3.batchExists(keys)).isZero();
    }
  }

  /** The L3 TCK on the real store: each test gets a view with its own namespace (so "fresh, empty"). */
  @Nested
  class Tck extends L3StoreTck {
    @Override protected L3Store newStore() {
      var ns = new Namespace("tck-" + UUID.randomUUID(), "page_first", "bf16", null, null);
      return new MooncakeL3Store(client, false,
          MooncakeL3Store.Options.sglang(false, 0, 1).withProfile(ObjectKeys.Profile.NAMESPACED, ns), null);
    }

    @Override protected Arena exampleArena() {
      return slabs.arena();
    }

    /** Zero-copy: batch_put_from and batch_get_into move registered memory only. */
    @Override protected boolean acceptsHeapBuffers() {
      return false;
    }

    @Override protected int maxParts() {
      return 2;
    }

    @Override protected Gen<int[]> partSizes() {
      return lists().of(integers().between(1, maxPartBytes())).ofSize(2)
          .map(l -> l.stream().mapToInt(Integer::intValue).toArray());
    }
  }
}
