package dev.hicache.core.engine;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.DevicePool;
import java.util.function.IntPredicate;

/**
 * An L1 pool as the engine's contract suites ({@link EngineContract}, {@link ProductionShellContract})
 * use it: the test "engine" writes each page's KV from its key ({@link #fillPage}) and checks what a
 * request is served ({@link #pageHolds}), so any misplaced, stale or overwritten page is detected.
 * A device-pool module implements it over its own pool and hands it over through {@link EnginePools}.
 */
public interface KeyedDevicePool extends DevicePool {
  /** What the engine's forward pass does: writes the KV of the page with key {@code key}. */
  void fillPage(int page, PageKey key);

  /** Whether device page {@code page} holds exactly the KV {@link #fillPage} writes for {@code key}. */
  boolean pageHolds(int page, PageKey key);

  /** From now on, loads whose first device page matches fail (as a device copy error would), every time. */
  void failLoadsTo(IntPredicate pages);

  /** Loads failed by {@link #failLoadsTo}. */
  long failedLoads();
}
