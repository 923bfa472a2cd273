package dev.hicache.simulator.report;

import dev.hicache.simulator.engine.EngineResult;
import java.util.Map;

/** What a report needs of one run. */
public interface RunView {
  Map<String, Object> fields();

  /** The engine run's details, or null for an L1-only run. */
  EngineResult engine();
}
