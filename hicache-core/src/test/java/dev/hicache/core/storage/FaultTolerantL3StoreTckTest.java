package dev.hicache.core.storage;

import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;

/**
 * The fault-tolerant decorator keeps the L3 contract of what it wraps (the L3 TCK from hicache-api's
 * test-jar): over a healthy store it is invisible. The store under it is the test's own map double,
 * so the run also shows the double keeps the contract the real stores keep.
 */
class FaultTolerantL3StoreTckTest extends L3StoreTck {
  @Override protected L3Store newStore() {
    return FaultTolerantL3Store.builder(new MapL3StoreDouble(), new PrefetchRig.VClock()).build();
  }
}
