package dev.hicache.jlama;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.api.spi.L3Store;
import dev.hicache.jlama.engine.ModelSpec;
import dev.hicache.l2.memory.AllocationOptions;
import dev.hicache.l2.memory.HostMemoryAllocator;
import dev.hicache.l2.memory.KernelFacts;
import dev.hicache.l2.memory.MemoryEnv;
import dev.hicache.l2.pool.HostKvPool;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Store;
import dev.hicache.l3.mooncake.MooncakeConfig;
import dev.hicache.l3.mooncake.MooncakeL3Store;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The three tiers for a CPU engine: L1 is HiCache's host-memory device pool (the engine's KV pool),
 * L2 {@code hicache-l2-host}'s {@link HostKvPool}, L3 the embedded store (persistent, shared by the
 * processes that open the same folder) or Mooncake Store.
 *
 * @param pageSize tokens per page
 * @param deviceTokens L1 capacity in tokens (a multiple of pageSize)
 * @param hostTokens L2 capacity in tokens (larger than L1), 0 = no L2 (then no L3 either)
 * @param l3 where L3 lives: {@link L3#none()}, {@link L3#embedded(Path, long)} or {@link L3#mooncake()}
 */
public record Tiers(int pageSize, int deviceTokens, int hostTokens, L3 l3) {
  public Tiers {
    if (pageSize < 1) throw new IllegalArgumentException("--page-size must be positive, got " + pageSize);
    if (deviceTokens < pageSize || deviceTokens % pageSize != 0) {
      throw new IllegalArgumentException("L1 capacity " + deviceTokens + " tokens must be a positive multiple of --page-size " + pageSize);
    }
    if (hostTokens != 0 && (hostTokens <= deviceTokens || hostTokens % pageSize != 0)) {
      throw new IllegalArgumentException("L2 capacity " + hostTokens + " tokens must be a multiple of --page-size " + pageSize
          + " larger than L1's " + deviceTokens);
    }
    if (l3 == null) throw new IllegalArgumentException("l3 is required (L3.none() for no L3)");
    if (hostTokens == 0 && !(l3 instanceof L3.None)) throw new IllegalArgumentException("L3 pages pass through L2: give L2 a capacity");
  }

  /** The KV shape of the pools for this model: FP32 rows, as the engine computes them. */
  public KvShape shape(ModelSpec spec) {
    return KvShape.mha(spec.layers(), spec.kvHeads(), spec.headDim(), DType.FP32, pageSize);
  }

  /** Opens L2 for this model. */
  public HostKvPool openHostPool(ModelSpec spec) {
    HostMemoryAllocator allocator = new HostMemoryAllocator(new MemoryEnv(Map.of()), KernelFacts.system(), w -> { });
    return HostKvPool.create(shape(spec), MemLayout.PAGE_FIRST, hostTokens, allocator, AllocationOptions.defaults(), List.of());
  }

  /** Where L3 lives. */
  public sealed interface L3 {
    /** No L3. */
    static L3 none() { return new None(); }

    /** The embedded store, persistent in {@code directory} (created if absent), {@code bytes} of slab. */
    static L3 embedded(Path directory, long bytes) { return new Embedded(directory, bytes); }

    /** The embedded store in the process-private mode (memory only, nothing shared or kept). */
    static L3 processPrivate(long bytes) { return new ProcessPrivate(bytes); }

    /** Mooncake Store, configured as SGLang configures it ({@code SGLANG_HICACHE_MOONCAKE_CONFIG_PATH} or {@code MOONCAKE_*}). */
    static L3 mooncake() { return new Mooncake(); }

    /** Opens the store for pages of {@code pageBytes}; null for none. The caller closes it after the cache. */
    L3Store open(KvShape shape);

    record None() implements L3 {
      @Override public L3Store open(KvShape shape) { return null; }
    }

    record Embedded(Path directory, long bytes) implements L3 {
      public Embedded {
        if (directory == null) throw new IllegalArgumentException("embedded L3: a directory is required");
        if (bytes < 1) throw new IllegalArgumentException("embedded L3: size must be positive, got " + bytes);
      }

      @Override public L3Store open(KvShape shape) {
        // Every L3 page is two parts: the page's bytes and a 16-byte checksum trailer.
        return LocalL3Store.open(LocalL3Config.of(directory, bytes, shape.bytesPerPage() + 16, 2));
      }
    }

    record ProcessPrivate(long bytes) implements L3 {
      @Override public L3Store open(KvShape shape) {
        return LocalL3Store.open(LocalL3Config.processPrivate(bytes, shape.bytesPerPage() + 16, 2));
      }
    }

    record Mooncake() implements L3 {
      @Override public L3Store open(KvShape shape) {
        return MooncakeL3Store.open(MooncakeConfig.load(), MooncakeL3Store.Options.sglang(false, 0, 1), System.getenv());
      }
    }
  }
}
