/** L3 on Mooncake Store: the store client behind the L3Store SPI. */
module dev.hicache.l3.mooncake {
  requires transitive dev.hicache.api;
  requires com.github.benmanes.caffeine;

  exports dev.hicache.l3.mooncake;
}
