package dev.hicache.l3.mooncake;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/**
 * Mooncake blocks SIGINT, SIGTERM, SIGHUP and SIGUSR1 in the thread that creates a store when the
 * process is not Python (docs/behaviour.md#threads-and-signals); the double does the same. {@link
 * MooncakeStore#create} must leave the caller's signal mask alone.
 */
class SignalMaskTest {
  private static final int SIG_BLOCK = 0, SIG_SETMASK = 2;
  private static final int SIGHUP = 1, SIGINT = 2, SIGUSR1 = 10, SIGTERM = 15;
  private static final long SIGSET_BYTES = 128; // glibc's sigset_t
  private static final MethodHandle PTHREAD_SIGMASK = Linker.nativeLinker().downcallHandle(
      Linker.nativeLinker().defaultLookup().find("pthread_sigmask").orElseThrow(),
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

  /** The calling thread's blocked signals. */
  private static MemorySegment currentMask(Arena arena) throws Throwable {
    MemorySegment set = arena.allocate(SIGSET_BYTES, 8);
    int rc = (int) PTHREAD_SIGMASK.invokeExact(SIG_BLOCK, MemorySegment.NULL, set);
    assertThat(rc).isZero();
    return set;
  }

  private static boolean blocked(MemorySegment set, int signal) {
    return (set.get(JAVA_LONG, 0) & (1L << (signal - 1))) != 0;
  }

  @Test
  void rawCreate_onTheCallingThread_blocksTheSignals_soTheWrapperMustNot() throws Throwable {
    StoreCLibrary lib = MooncakeDouble.library();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment before = currentMask(arena);
      assertThat(blocked(before, SIGTERM)).as("precondition: SIGTERM is not blocked in a JUnit thread").isFalse();
      MemorySegment h = lib.create();
      try {
        MemorySegment after = currentMask(arena);
        assertThat(blocked(after, SIGTERM)).as("the double masks like Mooncake's ResourceTracker").isTrue();
        assertThat(blocked(after, SIGINT) && blocked(after, SIGHUP) && blocked(after, SIGUSR1)).isTrue();
      } finally {
        int rc = (int) PTHREAD_SIGMASK.invokeExact(SIG_SETMASK, before, MemorySegment.NULL);
        assertThat(rc).isZero();
        lib.destroy(h);
      }
    }
  }

  @Test
  void storeCreate_leavesTheCallersSignalMaskUnchanged() throws Throwable {
    StoreCLibrary lib = MooncakeDouble.library();
    try (Arena arena = Arena.ofConfined(); MooncakeStore s = MooncakeStore.create(lib)) {
      MemorySegment mask = currentMask(arena);
      for (int sig : new int[] {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) {
        assertThat(blocked(mask, sig)).as("signal %d after MooncakeStore.create", sig).isFalse();
      }
      s.setup(MooncakeDouble.params(MooncakeDouble.freshMaster(), 0, 0), MooncakeDouble.DEADLINE, java.util.Map.of());
      assertThat(blocked(currentMask(arena), SIGTERM)).isFalse();
    }
  }
}
