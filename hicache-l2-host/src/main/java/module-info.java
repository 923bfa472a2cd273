/** The L2 tier in host memory: host KV pools, their memory (hugepages, pinning) and their sizing. */
module dev.hicache.l2 {
  requires transitive dev.hicache.api;

  exports dev.hicache.l2.memory;
  exports dev.hicache.l2.pool;
  exports dev.hicache.l2.sizing;
}
