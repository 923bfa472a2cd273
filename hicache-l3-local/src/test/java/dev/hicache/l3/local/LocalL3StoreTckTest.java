package dev.hicache.l3.local;

import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The L3 TCK on the embedded store (a fresh folder per test). */
class LocalL3StoreTckTest extends L3StoreTck {
  @TempDir Path dir;

  @Override protected L3Store newStore() {
    // Room for the TCK's largest batch (128 pages of up to 3 × 4 KiB) several times over.
    return LocalL3Store.open(LocalL3Config.of(dir.resolve("l3"), 1024L * 13 * 1024, 3 * 4096, 3));
  }
}
