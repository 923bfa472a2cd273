package dev.hicache.simulator.l3;

import dev.hicache.api.spi.L3Store;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Store;
import java.util.Locale;

/**
 * The embedded L3 store (hicache-l3-local) for one simulation run, in its process-private mode.
 * The engine runs metadata-only, so each page is a 24-byte stub in 2 parts: the store's slots are
 * sized for the stub (128 bytes), and its capacity is the modelled L3 capacity in pages.
 *
 * <p>Two implementations ({@code --l3-store}): {@link Store#REAL} is the store itself, its slots,
 * write protocol, checksums, verification and eviction, with the slab in this process's memory and
 * an on-heap index; {@link Store#MODEL} (the default with {@code lru} eviction) is {@link
 * LocalLruL3Model}, which holds the same pages and answers every call as the store does, without
 * the slot protocol that changes no result of a metadata-only run and cost half of a long replay
 * (docs/design.md#metadata-only-simulation). The model exists for {@code lru} only: {@code
 * w-tinylfu} always runs the real store.
 */
public final class EmbeddedL3 implements AutoCloseable {
  static final long STUB_PAGE_BYTES = 24;
  static final int STUB_PARTS = 2;

  /** {@code --l3-store}: which implementation of the embedded store a run uses. */
  public enum Store {
    /** {@link LocalLruL3Model}: the store's process-private LRU behaviour, exactly, without its slots. */
    MODEL("model"),
    /** hicache-l3-local's {@code LocalL3Store} itself. */
    REAL("real");

    private final String flagName;

    Store(String flagName) {
      this.flagName = flagName;
    }

    /** The name users type: {@code model} or {@code real}. */
    public String flagName() {
      return flagName;
    }

    /** The implementation named {@code name} (case-insensitive). */
    public static Store parse(String name) {
      String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
      for (Store s : values()) if (s.flagName.equals(n)) return s;
      throw new IllegalArgumentException("embedded L3: store '" + name + "' is not an implementation (expected model or real)");
    }

    /** What runs for {@code eviction}: the model only models {@code lru}; {@code w-tinylfu} is always the real store. */
    public Store effective(LocalL3Config.Eviction eviction) {
      return eviction == LocalL3Config.Eviction.LRU ? this : REAL;
    }
  }

  private final L3Store store;

  private EmbeddedL3(L3Store store) {
    this.store = store;
  }

  /** The real store of {@code pages} stub pages evicting by {@code eviction} ({@code --l3-eviction}). */
  public static EmbeddedL3 open(long pages, LocalL3Config.Eviction eviction) {
    return open(pages, eviction, Store.REAL);
  }

  /**
   * A store of {@code pages} stub pages evicting by {@code eviction}: {@code store}'s implementation
   * ({@link Store#effective}: the model for {@code lru} only).
   */
  public static EmbeddedL3 open(long pages, LocalL3Config.Eviction eviction, Store store) {
    LocalL3Config config = config(pages, eviction);
    return new EmbeddedL3(store.effective(eviction) == Store.MODEL ? new LocalLruL3Model(config) : LocalL3Store.open(config));
  }

  /** The process-private config of a store of {@code pages} stub pages. */
  static LocalL3Config config(long pages, LocalL3Config.Eviction eviction) {
    if (pages < 1) throw new IllegalArgumentException("--l3-capacity-tokens must hold at least one page");
    long slot = LocalL3Config.processPrivate(1L << 20, STUB_PAGE_BYTES, STUB_PARTS).slotBytes();
    return LocalL3Config.processPrivate(pages * slot, STUB_PAGE_BYTES, STUB_PARTS, eviction);
  }

  /** The store: a {@code LocalL3Store} or a {@link LocalLruL3Model}. */
  public L3Store store() {
    return store;
  }

  @Override public void close() {
    store.close();
  }
}
