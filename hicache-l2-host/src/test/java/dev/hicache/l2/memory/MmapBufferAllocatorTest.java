package dev.hicache.l2.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Mooncake's mmap_arena_fallback_test.cpp and the switch semantics of its memory
 * environment variables (docs/behaviour.md#memory-environment-variables), against our mmap-buffer
 * path.
 */
class MmapBufferAllocatorTest {
  private static final long MIB = 1L << 20;
  private final List<String> log = new ArrayList<>();
  private final Map<String, String> env = new HashMap<>();
  private final List<MmapBufferAllocator> made = new ArrayList<>();

  private MmapBufferAllocator allocator() {
    MmapBufferAllocator a = new MmapBufferAllocator(env, log::add);
    made.add(a);
    return a;
  }

  @AfterEach
  void closeAll() {
    made.forEach(MmapBufferAllocator::close);
  }

  @Test
  void disabled_directMmapIsAlignedWritable_andFreesCleanly() {
    env.put("MC_MMAP_ARENA_POOL_SIZE", "4mb");
    env.put("MC_DISABLE_MMAP_ARENA", "1");
    MmapBufferAllocator a = allocator();
    MemorySegment s = a.allocate(1000, 64);
    assertThat(a.arenaState()).isEqualTo(MmapBufferAllocator.ArenaState.DISABLED);
    assertThat(s.address() % 64).isZero();
    s.fill((byte) 7);
    assertThat(s.get(ValueLayout.JAVA_BYTE, 999)).isEqualTo((byte) 7);
    a.free(s);
    MemorySegment odd = a.allocate(65_000, 64);
    assertThat(odd.address() % 4096).isZero();
    a.free(odd);
    for (int i = 0; i < 8; i++) {
      MemorySegment c = a.allocate(128 * 1024, 64);
      assertThat(c).isNotNull();
      c.set(ValueLayout.JAVA_LONG, 0, i);
      a.free(c);
    }
    assertThat(a.directAllocations()).isEqualTo(10);
    assertThat(a.directFrees()).isEqualTo(10);
    assertThat(a.outstandingBytes()).isZero();
    assertThat(a.arena().initialized()).isFalse();
  }

  @Test
  void falsyDisableValue_doesNotDisable_andJunkWarns() {
    env.put("MC_MMAP_ARENA_POOL_SIZE", "2mb");
    env.put("MC_DISABLE_MMAP_ARENA", "off");
    MmapBufferAllocator a = allocator();
    a.allocate(64, 64);
    assertThat(a.arenaState()).isEqualTo(MmapBufferAllocator.ArenaState.READY);
    env.put("MC_DISABLE_MMAP_ARENA", "sometimes");
    MmapBufferAllocator b = allocator();
    b.allocate(64, 64);
    assertThat(b.arenaState()).isEqualTo(MmapBufferAllocator.ArenaState.READY);
    assertThat(log).anyMatch(l -> l.contains("accepted values: 1/0, true/false, yes/no, on/off"));
  }

  @Test
  void notEnabled_withoutVariableOrSwitch() {
    MmapBufferAllocator a = allocator();
    MemorySegment s = a.allocate(4096, 64);
    assertThat(a.arenaState()).isEqualTo(MmapBufferAllocator.ArenaState.DISABLED);
    assertThat(a.directAllocations()).isEqualTo(1);
    a.free(s);
  }

  @Test
  void arena_servesBumpAllocations_fallsBackWhenExhausted_andCountsEverything() {
    env.put("MC_MMAP_ARENA_POOL_SIZE", "2mb");
    MmapBufferAllocator a = allocator();
    MemorySegment first = a.allocate(MIB, 64);
    assertThat(a.arenaState()).isEqualTo(MmapBufferAllocator.ArenaState.READY);
    assertThat(log).anyMatch(l -> l.startsWith(MmapBufferAllocator.ENABLED));
    assertThat(a.arena().owns(first)).isTrue();
    MemorySegment second = a.allocate(MIB, 64);
    assertThat(a.arena().owns(second)).isTrue();
    assertThat(a.arenaAllocations()).isEqualTo(2);
    // The pool is full: the next five go to direct mmaps, the first three of them logged.
    int logged = log.size();
    List<MemorySegment> direct = new ArrayList<>();
    for (int i = 0; i < 5; i++) direct.add(a.allocate(64 * 1024, 64));
    assertThat(direct).allMatch(s -> s != null && !a.arena().owns(s));
    assertThat(a.arenaExhaustedFallbacks()).isEqualTo(5);
    assertThat(log.subList(logged, log.size())).filteredOn(l -> l.contains("arena exhausted")).hasSize(3);
    assertThat(a.directAllocations()).isEqualTo(5);
    assertThat(a.outstandingBytes()).isEqualTo(2 * MIB + 5 * 64 * 1024);
    // Arena buffers are never freed one by one; direct ones are.
    a.free(first);
    a.free(first);
    assertThat(a.arenaFreeNoops()).isEqualTo(2);
    first.set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // still mapped
    direct.forEach(a::free);
    assertThat(a.directFrees()).isEqualTo(5);
    assertThat(a.outstandingBytes()).isEqualTo(2 * MIB);
    assertThatThrownBy(() -> a.free(direct.getFirst())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not allocated by this mmap-buffer allocator");
    try (Arena other = Arena.ofConfined()) {
      MemorySegment foreign = other.allocate(64);
      assertThatThrownBy(() -> a.free(foreign)).isInstanceOf(IllegalArgumentException.class);
    }
    a.close();
    a.close();
    assertThat(a.outstandingBytes()).isZero();
    assertThatThrownBy(() -> second.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> a.allocate(64, 64)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void nonStrictArena_withoutHugepages_retriesOnRegularPages_andSaysSo() {
    HostMemoryAllocatorTest.skipUnless(KernelFixture.freeHugepages(PagePath.HUGETLB_2M) == 0,
        "2 MiB hugepages are free here, so the arena does not need the regular-page retry");
    env.put("MC_MMAP_ARENA_POOL_SIZE", "2mb");
    MmapBufferAllocator a = allocator();
    assertThat(a.allocate(4096, 64)).isNotNull();
    assertThat(a.arena().path()).isEqualTo(PagePath.REGULAR);
    assertThat(log).anyMatch(l -> l.contains(MmapBufferAllocator.RETRYING));
  }

  @Test
  void stickyFailure_infinitePoolFailsOnce_andIsNeverRetried() {
    env.put("MC_MMAP_ARENA_POOL_SIZE", "infinite");
    MmapBufferAllocator a = allocator();
    MemorySegment s = a.allocate(64 * 1024, 64);
    assertThat(s).isNotNull();
    assertThat(a.arenaState()).isEqualTo(MmapBufferAllocator.ArenaState.FAILED);
    assertThat(log).anyMatch(l -> l.contains("ARENA INITIALIZATION FAILED"));
    assertThat(log).anyMatch(l -> l.contains("only attempted once per process"));
    env.put("MC_MMAP_ARENA_POOL_SIZE", "2gb");
    log.clear();
    MemorySegment t = a.allocate(64 * 1024, 64);
    assertThat(t).isNotNull();
    assertThat(log).noneMatch(l -> l.contains("ARENA INITIALIZATION FAILED") || l.contains("ARENA ALLOCATOR ENABLED"));
    assertThat(a.arena().initialized()).isFalse();
    assertThat(a.directAllocations()).isEqualTo(2);
  }

  @Test
  void explicitHugepages_withNoneReserved_returnNull_withNoSilentFallback() {
    HostMemoryAllocatorTest.assumeNoHugepages();
    env.put("MC_STORE_USE_HUGEPAGE", "1");
    env.put("MC_MMAP_ARENA_POOL_SIZE", "2mb");
    MmapBufferAllocator a = allocator();
    assertThat(a.allocate(64 * 1024, 64)).isNull();
    assertThat(a.arenaState()).isEqualTo(MmapBufferAllocator.ArenaState.FAILED);
    assertThat(log).noneMatch(l -> l.contains("retrying without huge pages"));
    assertThat(log).anyMatch(l -> l.contains("no regular-page fallback"));
    assertThat(a.failedAllocations()).isEqualTo(1);
    assertThat(a.outstandingBytes()).isZero();
  }

  @Test
  void touchPages_zeroesTheFirstByteOfEveryPageStride() {
    HostMemoryAllocator host = new HostMemoryAllocator(new MemoryEnv(Map.of()), KernelFacts.system(), log::add);
    try (HostMemory m = host.allocate(6 * MIB, AllocationOptions.only(PagePath.REGULAR))) {
      MemorySegment s = m.segment();
      s.fill((byte) 0xff);
      MmapBufferAllocator.touchPages(s, 2 * MIB, 16);
      for (long page = 0; page < 3; page++) {
        assertThat(s.get(ValueLayout.JAVA_BYTE, page * 2 * MIB)).isZero();
        assertThat(s.get(ValueLayout.JAVA_BYTE, page * 2 * MIB + 1)).isEqualTo((byte) 0xff);
      }
    }
  }

  @Test
  void badArguments_areRejected() {
    MmapBufferAllocator a = allocator();
    assertThatThrownBy(() -> a.allocate(0, 64)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> a.allocate(64, 100)).isInstanceOf(IllegalArgumentException.class);
  }
}
