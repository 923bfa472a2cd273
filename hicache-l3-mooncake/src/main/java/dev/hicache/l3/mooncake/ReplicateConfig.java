package dev.hicache.l3.mooncake;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Replication settings of a put: {@code mooncake_replicate_config_t}
 * (docs/behaviour.md#replication).
 *
 * @param replicaNum replicas to create; at least 1 (the master rejects 0 with INVALID_PARAMS, so
 *     the Rust doc comment "0 = server default" does not hold)
 * @param softPin keep the object with the master's soft-pin TTL (30 min by default)
 * @param hardPin never evict the object
 * @param preferredSegments segment names ({@code host:port} from {@code get_hostname}) to place
 *     replicas on; empty for none
 */
public record ReplicateConfig(long replicaNum, boolean softPin, boolean hardPin, List<String> preferredSegments) {

  /** What a NULL config means to the library: one replica, no pins, no preferred segments. */
  public static final ReplicateConfig DEFAULT = new ReplicateConfig(1, false, false, List.of());

  public ReplicateConfig {
    if (replicaNum < 1) {
      throw new MooncakeException.InvalidArgument("replica_num must be >= 1 (the master rejects 0), got " + replicaNum);
    }
    preferredSegments = List.copyOf(preferredSegments);
  }

  /**
   * Writes the C struct into {@code arena}; the segment-name strings live in the same arena, so
   * they stay valid for the call (the config keeps its native strings alive, as Mooncake's Rust
   * binding does).
   */
  MemorySegment toNative(Arena arena) {
    MemorySegment c = arena.allocate(StoreCLibrary.REPLICATE_CONFIG);
    StoreCLibrary.RC_REPLICA_NUM.set(c, 0L, replicaNum);
    StoreCLibrary.RC_SOFT_PIN.set(c, 0L, softPin ? 1 : 0);
    StoreCLibrary.RC_HARD_PIN.set(c, 0L, hardPin ? 1 : 0);
    if (preferredSegments.isEmpty()) {
      StoreCLibrary.RC_SEGMENTS.set(c, 0L, MemorySegment.NULL);
    } else {
      MemorySegment array = arena.allocate(ValueLayout.ADDRESS, preferredSegments.size());
      for (int i = 0; i < preferredSegments.size(); i++) {
        array.setAtIndex(ValueLayout.ADDRESS, i, CStrings.utf8(arena, preferredSegments.get(i), "preferred segment " + i));
      }
      StoreCLibrary.RC_SEGMENTS.set(c, 0L, array);
    }
    StoreCLibrary.RC_SEGMENTS_COUNT.set(c, 0L, (long) preferredSegments.size());
    return c;
  }

  /** NULL for no config (the library's defaults), else the struct. */
  static MemorySegment toNative(ReplicateConfig config, Arena arena) {
    return config == null ? MemorySegment.NULL : config.toNative(arena);
  }
}
