package dev.hicache.l2.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MooncakeParsersTest {

  @Test
  void byteSize_acceptsMooncakeSpellings() {
    assertThat(MooncakeByteSize.parse("16 MB")).hasValue(16L << 20);
    assertThat(MooncakeByteSize.parse("0")).hasValue(0);
    assertThat(MooncakeByteSize.parse("2mb")).hasValue(2L << 20);
    assertThat(MooncakeByteSize.parse("2m")).hasValue(2L << 20);
    assertThat(MooncakeByteSize.parse("2097152")).hasValue(2L << 20);
    assertThat(MooncakeByteSize.parse("1GB")).hasValue(1L << 30);
    assertThat(MooncakeByteSize.parse("1024MB")).hasValue(1L << 30);
    assertThat(MooncakeByteSize.parse(" \t56gb\r\n")).hasValue(56L << 30);
    assertThat(MooncakeByteSize.parse("1e3")).hasValue(1000);
    assertThat(MooncakeByteSize.parse("1.5k")).hasValue(1536);
    assertThat(MooncakeByteSize.parse("0x10")).hasValue(16);
    assertThat(MooncakeByteSize.parse("+2 KB")).hasValue(2048);
    assertThat(MooncakeByteSize.parse("1T")).hasValue(1L << 40);
    assertThat(MooncakeByteSize.parse("infinite")).hasValue(MooncakeByteSize.INFINITE);
  }

  @Test
  void byteSize_rejectsWhatMooncakeRejects() {
    for (String bad : new String[] {"", "   ", "-5", "16XB", "1GiB", "1KiB", "1_024", "inf", "infinity", "nan", "1e999",
        "nan B", "abc", "1 G B", "1e30T"}) {
      assertThat(MooncakeByteSize.parse(bad)).as(bad).isEmpty();
    }
    assertThat(MooncakeByteSize.parseOrZero("-5")).isZero();
    assertThat(MooncakeByteSize.parse(null)).isEmpty();
  }

  @Test
  void bool_acceptsMooncakeWords() {
    for (String t : new String[] {"1", "true", "YES", " on ", "Enable", "\ttrue\n"}) {
      assertThat(MooncakeBool.parse(t)).as(t).hasValue(true);
    }
    for (String f : new String[] {"0", "false", "No", "OFF", "disable"}) assertThat(MooncakeBool.parse(f)).as(f).hasValue(false);
    assertThat(MooncakeBool.parse("")).isEmpty();
    assertThat(MooncakeBool.recognised("")).isTrue();
    assertThat(MooncakeBool.parse("maybe")).isEmpty();
    assertThat(MooncakeBool.recognised("maybe")).isFalse();
  }

  @Test
  void useHugepage_isPresenceOnly() {
    assertThat(new MemoryEnv(Map.of()).useHugepage()).isFalse();
    assertThat(new MemoryEnv(Map.of("MC_STORE_USE_HUGEPAGE", "")).useHugepage()).isTrue();
    assertThat(new MemoryEnv(Map.of("MC_STORE_USE_HUGEPAGE", "0")).useHugepage()).isTrue();
    assertThat(new MemoryEnv(Map.of("MC_STORE_USE_HUGEPAGE", "false")).useHugepage()).isTrue();
  }

  @Test
  void hugepageSize_exactly2MiBOr1GiB_elseWarnsAndUses2MiB() {
    List<String> w = new ArrayList<>();
    Map<String, String> env = new HashMap<>(Map.of("MC_STORE_USE_HUGEPAGE", "1"));
    assertThat(new MemoryEnv(env).requestedHugetlb(w::add)).isEqualTo(PagePath.HUGETLB_2M);
    for (String s : new String[] {"1GB", "1024MB", "1g", "1073741824"}) {
      env.put("MC_STORE_HUGEPAGE_SIZE", s);
      assertThat(new MemoryEnv(env).requestedHugetlb(w::add)).as(s).isEqualTo(PagePath.HUGETLB_1G);
    }
    for (String s : new String[] {"2MB", "2m", "2097152"}) {
      env.put("MC_STORE_HUGEPAGE_SIZE", s);
      assertThat(new MemoryEnv(env).requestedHugetlb(w::add)).as(s).isEqualTo(PagePath.HUGETLB_2M);
    }
    assertThat(w).isEmpty();
    for (String s : new String[] {"4MB", "1GiB", "junk", ""}) {
      env.put("MC_STORE_HUGEPAGE_SIZE", s);
      assertThat(new MemoryEnv(env).requestedHugetlb(w::add)).as(s).isEqualTo(PagePath.HUGETLB_2M);
    }
    assertThat(w).hasSize(4).allMatch(m -> m.contains("MC_STORE_HUGEPAGE_SIZE"));
    // Without MC_STORE_USE_HUGEPAGE the size is not consulted at all.
    assertThat(new MemoryEnv(Map.of("MC_STORE_HUGEPAGE_SIZE", "1GB")).requestedHugetlb(w::add)).isNull();
  }

  @Test
  void arenaSettings_followMooncake() {
    List<String> w = new ArrayList<>();
    assertThat(new MemoryEnv(Map.of()).arena(false, w::add).enabled()).isFalse();
    MemoryEnv.ArenaSettings sw = new MemoryEnv(Map.of()).arena(true, w::add);
    assertThat(sw.enabled()).isTrue();
    assertThat(sw.poolBytes()).isEqualTo(8L << 30);
    MemoryEnv.ArenaSettings byEnv = new MemoryEnv(Map.of("MC_MMAP_ARENA_POOL_SIZE", "56gb")).arena(false, w::add);
    assertThat(byEnv.enabled()).isTrue();
    assertThat(byEnv.poolBytes()).isEqualTo(56L << 30);
    assertThat(w).isEmpty();
    // Empty does not enable; 0 or junk enables with the default and a warning.
    assertThat(new MemoryEnv(Map.of("MC_MMAP_ARENA_POOL_SIZE", "")).arena(false, w::add).enabled()).isFalse();
    for (String s : new String[] {"0", "lots"}) {
      MemoryEnv.ArenaSettings a = new MemoryEnv(Map.of("MC_MMAP_ARENA_POOL_SIZE", s)).arena(false, w::add);
      assertThat(a.enabled()).as(s).isTrue();
      assertThat(a.poolBytes()).as(s).isEqualTo(8L << 30);
    }
    assertThat(w).hasSize(2);
    // MC_DISABLE_MMAP_ARENA: truthy disables, falsy and junk do not (junk warns).
    for (String t : new String[] {"1", "true", "yes", "on", "enable", " TRUE "}) {
      assertThat(new MemoryEnv(Map.of("MC_MMAP_ARENA_POOL_SIZE", "1gb", "MC_DISABLE_MMAP_ARENA", t)).arena(true, w::add)
          .enabled()).as(t).isFalse();
    }
    for (String f : new String[] {"0", "false", "no", "off", "disable", "", "perhaps"}) {
      assertThat(new MemoryEnv(Map.of("MC_MMAP_ARENA_POOL_SIZE", "1gb", "MC_DISABLE_MMAP_ARENA", f)).arena(false, w::add)
          .enabled()).as(f).isTrue();
    }
    assertThat(w.getLast()).contains("accepted values: 1/0, true/false, yes/no, on/off");
  }
}
