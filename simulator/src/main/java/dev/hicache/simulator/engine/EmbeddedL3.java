package dev.hicache.simulator.engine;

import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The embedded L3 store (hicache-l3-local) for one simulation run, in a fresh temporary folder
 * that is deleted when the run ends. The engine runs metadata-only, so each page is a 24-byte stub
 * in 2 parts (the prefetch engineer's note): the store's slots are sized for the stub, and its
 * capacity is the modelled L3 capacity in pages.
 */
final class EmbeddedL3 implements AutoCloseable {
  static final long STUB_PAGE_BYTES = 24;
  static final int STUB_PARTS = 2;

  private final Path dir;
  private final LocalL3Store store;

  private EmbeddedL3(Path dir, LocalL3Store store) {
    this.dir = dir;
    this.store = store;
  }

  static EmbeddedL3 open(long pages) {
    if (pages < 1) throw new IllegalArgumentException("--l3-capacity-tokens must hold at least one page");
    Path dir;
    try {
      dir = Files.createTempDirectory("hicache-sim-l3-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a folder for the embedded L3", e);
    }
    try {
      long slot = LocalL3Config.of(dir, 1L << 20, STUB_PAGE_BYTES, STUB_PARTS).slotBytes();
      LocalL3Store store = LocalL3Store.open(LocalL3Config.of(dir, pages * slot, STUB_PAGE_BYTES, STUB_PARTS));
      return new EmbeddedL3(dir, store);
    } catch (RuntimeException e) {
      delete(dir);
      throw e;
    }
  }

  LocalL3Store store() {
    return store;
  }

  @Override public void close() {
    try {
      store.close();
    } finally {
      delete(dir);
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary folder left behind is harmless
    }
  }
}
