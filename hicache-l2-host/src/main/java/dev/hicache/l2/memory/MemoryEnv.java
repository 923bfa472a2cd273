package dev.hicache.l2.memory;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Mooncake's memory environment variables with Mooncake's semantics
 * (docs/behaviour.md#memory-environment-variables). The environment is a map handed in, so tests
 * drive every branch; {@link #system()} reads the process's. Values are read when asked for, not
 * cached: callers decide when a value is final (the arena reads its variables once, at its first
 * use).
 */
public final class MemoryEnv {
  public static final String USE_HUGEPAGE = "MC_STORE_USE_HUGEPAGE";
  public static final String HUGEPAGE_SIZE = "MC_STORE_HUGEPAGE_SIZE";
  public static final String ARENA_POOL_SIZE = "MC_MMAP_ARENA_POOL_SIZE";
  public static final String DISABLE_ARENA = "MC_DISABLE_MMAP_ARENA";

  /** {@code --mmap_arena_pool_size}'s default: 8 GiB. */
  public static final long DEFAULT_ARENA_POOL_BYTES = 8L << 30;
  public static final long DEFAULT_HUGEPAGE_BYTES = 2L << 20;

  private final Map<String, String> env;

  public MemoryEnv(Map<String, String> env) {
    this.env = Objects.requireNonNull(env, "env");
  }

  public static MemoryEnv system() {
    return new MemoryEnv(System.getenv());
  }

  /**
   * {@code MC_STORE_USE_HUGEPAGE} is a presence test: any value, even "0" or "", asks for explicit
   * HugeTLB pages, and then nothing falls back to regular pages.
   */
  public boolean useHugepage() {
    return env.containsKey(USE_HUGEPAGE);
  }

  /**
   * The HugeTLB page size: {@code MC_STORE_HUGEPAGE_SIZE} when it parses to exactly 2 MiB or
   * 1 GiB, otherwise 2 MiB with a warning. Consulted only when {@link #useHugepage()}.
   */
  public long hugepageBytes(Consumer<String> warnings) {
    String v = env.get(HUGEPAGE_SIZE);
    if (v == null) return DEFAULT_HUGEPAGE_BYTES;
    OptionalLong parsed = MooncakeByteSize.parse(v);
    if (parsed.isPresent() && (parsed.getAsLong() == 2L << 20 || parsed.getAsLong() == 1L << 30)) {
      return parsed.getAsLong();
    }
    warnings.accept(HUGEPAGE_SIZE + "='" + v + "' is not 2 MiB or 1 GiB (e.g. 2MB, 1GB); using 2 MiB pages");
    return DEFAULT_HUGEPAGE_BYTES;
  }

  /**
   * The HugeTLB path the Mooncake variables ask for, or null when {@code MC_STORE_USE_HUGEPAGE} is
   * absent.
   */
  public PagePath requestedHugetlb(Consumer<String> warnings) {
    return useHugepage() ? PagePath.hugetlbOf(hugepageBytes(warnings)) : null;
  }

  /** Whether {@code MC_DISABLE_MMAP_ARENA} holds a truthy value (a falsy one does not disable). */
  public boolean arenaDisabled(Consumer<String> warnings) {
    String v = env.get(DISABLE_ARENA);
    if (!MooncakeBool.recognised(v)) {
      warnings.accept(DISABLE_ARENA + "='" + v + "' ignored; " + MooncakeBool.ACCEPTED);
      return false;
    }
    return MooncakeBool.parse(v).orElse(false);
  }

  /** How the arena is configured: enabled or not, and its pool size before rounding. */
  public record ArenaSettings(boolean enabled, long poolBytes, String reason) {}

  /**
   * The arena's settings: any non-empty {@code MC_MMAP_ARENA_POOL_SIZE} enables it and sets the
   * pool (0 or invalid → 8 GiB, with a warning); otherwise {@code useArenaSwitch} (Mooncake's
   * {@code --use_mmap_arena_allocator}) enables it with 8 GiB. A truthy {@code
   * MC_DISABLE_MMAP_ARENA} overrides both.
   */
  public ArenaSettings arena(boolean useArenaSwitch, Consumer<String> warnings) {
    String v = env.get(ARENA_POOL_SIZE);
    boolean byEnv = v != null && !v.isEmpty();
    boolean disabled = arenaDisabled(warnings);
    long pool = DEFAULT_ARENA_POOL_BYTES;
    if (byEnv) {
      OptionalLong parsed = MooncakeByteSize.parse(v);
      if (parsed.isEmpty() || parsed.getAsLong() == 0) {
        warnings.accept(ARENA_POOL_SIZE + "='" + v + "' is not a positive size; the arena uses the default pool of 8 GiB");
      } else {
        pool = parsed.getAsLong();
      }
    }
    if (disabled) return new ArenaSettings(false, pool, DISABLE_ARENA + " is set: direct mmap for every buffer");
    if (byEnv) return new ArenaSettings(true, pool, ARENA_POOL_SIZE + "=" + v);
    if (useArenaSwitch) return new ArenaSettings(true, pool, "use_mmap_arena_allocator switch");
    return new ArenaSettings(false, pool, "not enabled (set " + ARENA_POOL_SIZE + " to enable it)");
  }

  /** The raw value of a variable, or null. */
  public String get(String name) {
    return env.get(name);
  }
}
