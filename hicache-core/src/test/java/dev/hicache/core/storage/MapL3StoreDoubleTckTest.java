package dev.hicache.core.storage;

import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;

/** The test double these tests use as L3 keeps the contract the real stores keep (the L3 TCK). */
class MapL3StoreDoubleTckTest extends L3StoreTck {
  @Override protected L3Store newStore() {
    return new MapL3StoreDouble();
  }
}
