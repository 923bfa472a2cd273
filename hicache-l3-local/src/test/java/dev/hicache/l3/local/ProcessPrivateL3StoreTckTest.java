package dev.hicache.l3.local;

import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;

/** The L3 TCK on the process-private store with its default eviction (W-TinyLFU). */
class ProcessPrivateL3StoreTckTest extends L3StoreTck {
  // Room for the TCK's largest batch (128 pages of up to 3 × 4 KiB) several times over.
  static final long CAPACITY = 1024L * 13 * 1024;

  @Override protected L3Store newStore() {
    return LocalL3Store.open(LocalL3Config.processPrivate(CAPACITY, 3 * 4096, 3));
  }
}
