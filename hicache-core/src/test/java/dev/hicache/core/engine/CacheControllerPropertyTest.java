package dev.hicache.core.engine;

/** The engine's contract ({@link EngineContract}) on hicache-core's CPU pools. */
class CacheControllerPropertyTest extends EngineContract {
  @Override protected EnginePools pools() {
    return EnginePools.hostMemory();
  }
}
