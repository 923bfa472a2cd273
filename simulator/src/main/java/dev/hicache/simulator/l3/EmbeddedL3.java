package dev.hicache.simulator.l3;

import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Store;

/**
 * The embedded L3 store (hicache-l3-local) for one simulation run, in its process-private mode:
 * the real store's slots, write protocol, checksums, verification and eviction, with the slab in
 * this process's memory and an on-heap index (no folder, nothing left behind). The engine runs
 * metadata-only, so each page is a 24-byte stub in 2 parts: the store's slots are sized for the
 * stub, and its capacity is the modelled L3 capacity in pages.
 */
public final class EmbeddedL3 implements AutoCloseable {
  static final long STUB_PAGE_BYTES = 24;
  static final int STUB_PARTS = 2;

  private final LocalL3Store store;

  private EmbeddedL3(LocalL3Store store) {
    this.store = store;
  }

  /** A store of {@code pages} stub pages evicting by {@code eviction} ({@code --l3-eviction}). */
  public static EmbeddedL3 open(long pages, LocalL3Config.Eviction eviction) {
    if (pages < 1) throw new IllegalArgumentException("--l3-capacity-tokens must hold at least one page");
    long slot = LocalL3Config.processPrivate(1L << 20, STUB_PAGE_BYTES, STUB_PARTS).slotBytes();
    return new EmbeddedL3(LocalL3Store.open(LocalL3Config.processPrivate(pages * slot, STUB_PAGE_BYTES, STUB_PARTS, eviction)));
  }

  public LocalL3Store store() {
    return store;
  }

  @Override public void close() {
    store.close();
  }
}
