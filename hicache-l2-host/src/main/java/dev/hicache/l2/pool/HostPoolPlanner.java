package dev.hicache.l2.pool;

import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.HostPoolSizing;
import dev.hicache.l2.memory.KernelFacts;
import dev.hicache.l2.memory.MemoryEnv;
import dev.hicache.l2.memory.PagePath;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Sizes the host pool before any memory is touched (docs/behaviour.md#host-pool-size): resolves the
 * layout rules, computes the token capacity from {@code --hicache-ratio} / {@code --hicache-size},
 * and rejects a pool that would not exceed the device pool or would not fit: in MemAvailable minus
 * 10 GiB, or, when {@code MC_STORE_USE_HUGEPAGE} makes hugepages strict, in the free HugeTLB pages.
 */
public final class HostPoolPlanner {
  private HostPoolPlanner() {}

  /**
   * @param config the flags as given; the plan holds them resolved
   * @param warnings the automatic corrections {@link HiCacheConfig#resolve} made
   */
  public record Plan(HiCacheConfig config, KvShape shape, int tokens, long bytes, List<String> warnings) {
    public Plan {
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * @throws IllegalArgumentException naming the flag and value when the pool is too small, too
   *     large, or does not fit
   */
  public static Plan plan(HiCacheConfig config, long deviceTokens, KvShape shape, KernelFacts kernel, MemoryEnv env) {
    if (shape.pageSize() != config.pageSize()) {
      throw new IllegalArgumentException("--page-size " + config.pageSize() + " differs from the KV shape's page size "
          + shape.pageSize());
    }
    List<String> warnings = new ArrayList<>();
    HiCacheConfig resolved = config.resolve(warnings);
    String flag = HostPoolSizing.setting(resolved); // a library error names the config field
    long tokens = HostPoolSizing.hostTokens(resolved, deviceTokens, shape.bytesPerToken());
    int maxTokens = Integer.MAX_VALUE / shape.pageSize() * shape.pageSize();
    if (tokens > maxTokens) {
      throw new IllegalArgumentException(flag + " gives a host pool of " + tokens + " tokens; one pool holds at most "
          + maxTokens + " token slots");
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(tokens, shape.bytesPerToken());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(flag + " gives a host pool of " + tokens + " tokens, too many bytes to address", e);
    }
    if (env.useHugepage()) {
      PagePath p = env.requestedHugetlb(warnings::add);
      long need = Math.ceilDiv(bytes, p.pageBytes());
      OptionalLong free = kernel.freeHugepages(p.pageBytes());
      if (free.isPresent() && free.getAsLong() < need) {
        throw new IllegalArgumentException(flag + " needs " + bytes + " bytes = " + need + " HugeTLB pages of "
            + p.pageBytes() + " B, but only " + free.getAsLong() + " are free, and " + MemoryEnv.USE_HUGEPAGE
            + " forbids falling back to regular pages (reserve more: sysctl -w vm.nr_hugepages=...)");
      }
    } else {
      HostPoolSizing.checkFits(bytes, kernel.memAvailableBytes(), flag);
    }
    return new Plan(resolved, shape, (int) tokens, bytes, warnings);
  }
}
