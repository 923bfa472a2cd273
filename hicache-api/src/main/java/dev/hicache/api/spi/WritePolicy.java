package dev.hicache.api.spi;

/**
 * When a node's device KV is copied down to the host, {@code --hicache-write-policy}
 * (docs/behaviour.md#write-policies): write_through backs up on the first hit,
 * write_through_selective once the hit count reaches a threshold, write_back only when the node is
 * evicted from the device.
 */
public interface WritePolicy {
  String flagName();

  /** Back up when a node's hit count reaches this; ignored when {@link #writeBack()}. */
  int writeThroughThreshold();

  /** Copy down only on eviction, and block that eviction until the copy is acknowledged. */
  boolean writeBack();
}
