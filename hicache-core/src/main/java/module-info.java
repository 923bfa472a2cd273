/**
 * The engine behind one facade ({@link dev.hicache.core.engine.HiCache}): exported are the facade
 * and the types its builder takes (dev.hicache.core.engine), the CPU pools a cache can be built on
 * (pool), the metrics sink that keeps what it is told (metrics), the tensor-parallel rank groups
 * (tp), and one package of simulation hooks (sim: the deterministic shell's virtual-time port).
 * The radix tree and the storage (L3) controller are not exported: only the L1-only reference
 * replay of the simulator and the tree's JMH benchmarks may use the tree, by name. Those two
 * modules run on the class path, where module-info stops nothing, so a test in each
 * (ModuleBoundaryTest) reads these exports and fails on any reference to another package.
 */
module dev.hicache.core {
  requires transitive dev.hicache.api;
  requires org.jctools.core;

  exports dev.hicache.core.engine;
  exports dev.hicache.core.sim;
  exports dev.hicache.core.pool;
  exports dev.hicache.core.metrics;
  exports dev.hicache.core.tp;
  exports dev.hicache.core.tree to dev.hicache.simulator, dev.hicache.benchmarks;
}
