package dev.hicache.l3.mooncake;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The C test double of store_c.h ({@code src/test/native/mooncake_store_double.c}), compiled by the
 * test build. Each test class runs in its own JVM (see the pom), so loading it here makes it this
 * process's Mooncake library, exactly as {@code MOONCAKE_STORE_LIBRARY} would.
 */
final class MooncakeDouble {
  private static final AtomicLong CLUSTERS = new AtomicLong();
  static final Duration DEADLINE = Duration.ofSeconds(30);

  private MooncakeDouble() {}

  /** The double's path; skips the calling test (printing why) when the build could not make it. */
  static Path path() {
    String p = System.getProperty("mooncake.double.library");
    boolean built = p != null && Files.isRegularFile(Path.of(p));
    if (!built) {
      String why = "the Mooncake store double was not built (" + (p == null ? "no mooncake.double.library property"
          : p + " is missing; is gcc installed?") + "): skipping the tests that need it";
      System.out.println("[SKIPPED] " + why);
      assumeTrue(false, why);
    }
    return Path.of(p);
  }

  /** The double, loaded as this process's library. */
  static StoreCLibrary library() {
    Path p = path();
    return StoreCLibrary.current().orElseGet(() -> StoreCLibrary.load(p));
  }

  /** A master address no other store of this JVM uses: a fresh, empty in-process cluster. */
  static String freshMaster() {
    return "double-" + ProcessHandle.current().pid() + "-" + CLUSTERS.incrementAndGet() + ":50051";
  }

  static SetupParams params(String master, long segment, long localBuffer) {
    return new SetupParams("localhost", "P2PHANDSHAKE", segment, localBuffer, "tcp", "", master);
  }

  /** A client set up against {@code master} with the given segment and a 1 MiB local buffer. */
  static MooncakeStore store(String master, long segment) {
    MooncakeStore s = MooncakeStore.create(library());
    s.setup(params(master, segment, 1 << 20), DEADLINE, Map.of());
    return s;
  }

  static MooncakeStore store() {
    return store(freshMaster(), 256L << 20);
  }

  /** The double's test controls ({@code mooncake_double_*}: not part of store_c.h). */
  static Controls controls() {
    return Controls.bind();
  }

  /** Downcalls to the double's controls; the same library image as the loaded store library. */
  static final class Controls {
    private static volatile Controls bound;
    private final java.lang.invoke.MethodHandle readDelayUs, readBandwidth, leaseTtlMs, masterDown, destroysDuringCalls;

    @SuppressWarnings("restricted")
    private Controls(java.lang.foreign.SymbolLookup lookup) {
      var linker = java.lang.foreign.Linker.nativeLinker();
      var jlong = java.lang.foreign.ValueLayout.JAVA_LONG;
      var jint = java.lang.foreign.ValueLayout.JAVA_INT;
      var addr = java.lang.foreign.ValueLayout.ADDRESS;
      readDelayUs = linker.downcallHandle(lookup.findOrThrow("mooncake_double_set_read_delay_us"),
          java.lang.foreign.FunctionDescriptor.ofVoid(jlong));
      readBandwidth = linker.downcallHandle(lookup.findOrThrow("mooncake_double_set_read_bandwidth"),
          java.lang.foreign.FunctionDescriptor.ofVoid(jlong));
      leaseTtlMs = linker.downcallHandle(lookup.findOrThrow("mooncake_double_set_lease_ttl_ms"),
          java.lang.foreign.FunctionDescriptor.ofVoid(jlong));
      masterDown = linker.downcallHandle(lookup.findOrThrow("mooncake_double_set_master_down"),
          java.lang.foreign.FunctionDescriptor.of(jint, addr, jint, jlong));
      destroysDuringCalls = linker.downcallHandle(lookup.findOrThrow("mooncake_double_destroys_during_calls"),
          java.lang.foreign.FunctionDescriptor.of(jlong));
    }

    /** How many destroys so far found a single {@code get_into} still inside the destroyed client. */
    long destroysDuringCalls() {
      try {
        return (long) destroysDuringCalls.invokeExact();
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    @SuppressWarnings("restricted")
    private static Controls bind() {
      Controls c = bound;
      if (c != null) return c;
      synchronized (Controls.class) {
        if (bound == null) {
          library(); // the double is this process's library: dlopen hands back the same image
          bound = new Controls(java.lang.foreign.SymbolLookup.libraryLookup(path(), java.lang.foreign.Arena.global()));
        }
        return bound;
      }
    }

    /** Each read's transfer takes this long (half the bytes land before the pause, half after). */
    void readDelay(Duration d) {
      call(readDelayUs, d.toNanos() / 1000);
    }

    /** Each read's transfer also takes bytes / this; 0 for instant. */
    void readBandwidth(long bytesPerSecond) {
      call(readBandwidth, bytesPerSecond);
    }

    /** The read lease from now on. */
    void leaseTtl(Duration d) {
      call(leaseTtlMs, d.toMillis());
    }

    /** Stops the master of {@code master}: each call then blocks {@code block} and fails. */
    void stopMaster(String master, Duration block) {
      setMaster(master, 1, block);
    }

    /** Restarts it: every object stored before is gone; clients reconnect by themselves. */
    void restartMaster(String master) {
      setMaster(master, 0, Duration.ZERO);
    }

    private void setMaster(String master, int down, Duration block) {
      try (var arena = java.lang.foreign.Arena.ofConfined()) {
        int rc = (int) masterDown.invokeExact(arena.allocateFrom(master), down, block.toMillis());
        if (rc != 0) throw new IllegalArgumentException("the double knows no master " + master);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    private static void call(java.lang.invoke.MethodHandle h, long v) {
      try {
        h.invokeExact(v);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
  }
}
