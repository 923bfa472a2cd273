package dev.hicache.api.tck;

import dev.hicache.api.spi.L3Store;

/** The TCK passes on a store that keeps the contract. */
class InMemoryL3StoreDoubleTckTest extends L3StoreTck {
  @Override protected L3Store newStore() {
    return new InMemoryL3StoreDouble();
  }
}
