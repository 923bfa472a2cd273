package dev.hicache.simulator.l3;

import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;
import dev.hicache.l3.local.LocalL3Config;

/**
 * The LRU model of the embedded store against the L3 contract every backend passes, with the
 * config of hicache-l3-local's own TCK run of the process-private LRU store (13 MiB of slots for
 * pages of up to 3 parts of 4 KiB: pages too large to keep inline).
 */
class LocalLruL3ModelTckTest extends L3StoreTck {
  @Override protected L3Store newStore() {
    return new LocalLruL3Model(LocalL3Config.processPrivate(1024L * 13 * 1024, 3 * 4096, 3, LocalL3Config.Eviction.LRU));
  }
}
