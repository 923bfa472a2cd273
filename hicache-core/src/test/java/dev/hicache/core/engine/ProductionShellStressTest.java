package dev.hicache.core.engine;

/** The production shell's stress contract ({@link ProductionShellContract}) on hicache-core's CPU pools. */
class ProductionShellStressTest extends ProductionShellContract {
  @Override protected EnginePools pools() {
    return EnginePools.hostMemory();
  }
}
