package dev.hicache.l3.local;

import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;

/** The L3 TCK on the process-private store with exact LRU eviction. */
class ProcessPrivateLruL3StoreTckTest extends L3StoreTck {
  @Override protected L3Store newStore() {
    return LocalL3Store.open(LocalL3Config.processPrivate(ProcessPrivateL3StoreTckTest.CAPACITY, 3 * 4096, 3,
        LocalL3Config.Eviction.LRU));
  }
}
