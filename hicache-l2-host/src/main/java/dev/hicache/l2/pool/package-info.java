/**
 * The L2 host KV pool ({@link dev.hicache.l2.pool.HostKvPool}, the api's {@code HostPool}): one
 * buffer in one of the three layouts (docs/behaviour.md#page-layouts), addressed only through the
 * api's {@code LayoutDescriptor}; its page allocator; and {@link
 * dev.hicache.l2.pool.HostPoolPlanner}, which sizes it from {@code --hicache-ratio} / {@code
 * --hicache-size} before any memory is touched.
 */
package dev.hicache.l2.pool;
