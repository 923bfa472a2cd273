/**
 * SGLang's HiRadixTree (docs/behaviour.md#radix-tree): the page-granular prefix tree that knows,
 * for every cached span of tokens, whether its KV is on the device (L1), in host memory (L2), or
 * both.
 *
 * <p>{@link dev.hicache.core.tree.HiRadixTree} is metadata only and single-threaded: no I/O, no
 * threads, time only from the {@link dev.hicache.api.spi.Clock} it is handed. The controller asks it
 * what to match, insert, lock, evict and load back, and does the copies itself (the tree tells it
 * what to free through {@link dev.hicache.core.tree.DeviceEvictionHandler} and a host-page callback).
 *
 * <p>Words as in SGLang: a node's {@code value} is its device pages (null = evicted), its {@code
 * host_value} its host pages (non-null = backuped); {@code lock_ref} protects device pages,
 * {@code host_ref_counter} host pages. Values are page ids, one per page, not per-token slots.
 *
 * <p>Eviction order comes from an {@link dev.hicache.api.spi.EvictionPolicy} ({@link
 * dev.hicache.core.tree.EvictionPolicies#byName} for {@code --radix-eviction-policy}); the tree keeps
 * its candidates in two ordered indexes updated at every change, so a pass never rebuilds a heap.
 */
package dev.hicache.core.tree;
