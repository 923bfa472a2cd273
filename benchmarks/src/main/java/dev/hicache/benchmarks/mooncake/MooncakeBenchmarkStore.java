package dev.hicache.benchmarks.mooncake;

import dev.hicache.l3.mooncake.MooncakeConfig;
import dev.hicache.l3.mooncake.MooncakeL3Store;
import dev.hicache.l3.mooncake.MooncakeStore;
import dev.hicache.l3.mooncake.SetupParams;
import dev.hicache.l3.mooncake.StoreCLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the Mooncake benchmarks find their store: the same environment the L3 store reads.
 * {@code MOONCAKE_STORE_LIBRARY} names the library (a real {@code libmooncake_store.so} or the test
 * double that hicache-l3-mooncake's test build compiles). With {@code MOONCAKE_MASTER} set, setup
 * takes every {@code MOONCAKE_*} variable as {@link MooncakeConfig} does (master, metadata server,
 * local hostname, protocol, device, segment and local buffer sizes); without it, the double's
 * in-process cluster {@value #DOUBLE_MASTER} is used. Setup waits at most {@link
 * MooncakeL3Store#DEFAULT_SETUP_DEADLINE} and fails the benchmark (with what was unreachable)
 * otherwise.
 */
final class MooncakeBenchmarkStore {
  static final String DOUBLE_MASTER = "bench:50051";

  private MooncakeBenchmarkStore() {}

  static StoreCLibrary library() {
    String path = System.getenv(StoreCLibrary.LIBRARY_ENV);
    if (path == null || !Files.isRegularFile(Path.of(path))) {
      throw new IllegalStateException("set " + StoreCLibrary.LIBRARY_ENV + " to a libmooncake_store.so, or to the "
          + "Mooncake store double built by hicache-l3-mooncake's tests (<build dir>/native/libmooncake_store_double.so); "
          + "got " + path);
    }
    return StoreCLibrary.ensureLoaded();
  }

  /** Setup parameters: the environment's when {@code MOONCAKE_MASTER} is set, else the double's, mounting {@code segment}. */
  static SetupParams params(long segment) {
    Map<String, String> env = System.getenv();
    if (env.get("MOONCAKE_MASTER") == null || env.get("MOONCAKE_MASTER").isBlank()) {
      return new SetupParams("localhost", "P2PHANDSHAKE", segment, 16L << 20, "tcp", "", DOUBLE_MASTER);
    }
    return MooncakeConfig.load(env, Map.of()).setupParams(0, 1, 1, env);
  }

  /** A client set up with {@link #params}. */
  static MooncakeStore client(StoreCLibrary lib, long segment) {
    MooncakeStore client = MooncakeStore.create(lib);
    try {
      client.setup(params(segment), MooncakeL3Store.DEFAULT_SETUP_DEADLINE, System.getenv());
      return client;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /**
   * A second handle for the bare downcalls, set up with the same parameters but mounting nothing:
   * it reaches the same objects through the same master.
   */
  static MemorySegment rawHandle(StoreCLibrary lib, Arena arena) {
    SetupParams p = params(0);
    MemorySegment h = lib.create();
    int rc = lib.setup(h, arena.allocateFrom(p.localHostname()), arena.allocateFrom(p.metadataServer()), 0,
        p.localBufferSize(), arena.allocateFrom(p.protocol()), arena.allocateFrom(p.deviceName()),
        arena.allocateFrom(p.masterServerAddress()));
    if (rc != 0) {
      lib.destroy(h);
      throw new IllegalStateException("raw setup of a second client failed: " + rc);
    }
    return h;
  }

  /**
   * Runs the given benchmarks with JMH's runner failing on the first error, and exits non-zero if
   * one failed: JMH's own main reports a failed setup (an unreachable master, say) and still exits
   * 0 unless given {@code -foe true}.
   */
  static void runFailingOnError(Class<?> benchmark, String[] args) throws Exception {
    var cli = new org.openjdk.jmh.runner.options.CommandLineOptions(args);
    var opts = new org.openjdk.jmh.runner.options.OptionsBuilder().parent(cli)
        .include(cli.getIncludes().isEmpty() ? benchmark.getName() : cli.getIncludes().getFirst())
        .shouldFailOnError(true).build();
    try {
      var results = new org.openjdk.jmh.runner.Runner(opts).run();
      if (results.isEmpty()) {
        System.err.println("no benchmark ran");
        System.exit(1);
      }
    } catch (org.openjdk.jmh.runner.RunnerException e) {
      System.err.println("benchmark failed: " + e.getMessage());
      System.exit(1);
    }
  }
}
