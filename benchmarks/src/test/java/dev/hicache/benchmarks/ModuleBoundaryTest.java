package dev.hicache.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.benchmarks.tree.TreeMatchBenchmark;
import dev.hicache.core.testkit.ModuleBoundary;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks run on the class path, where the project modules' module-info stops nothing: this
 * test keeps them to the modules' exports (the tree's benchmarks through the tree's export to them).
 */
class ModuleBoundaryTest {
  @Test void theBenchmarks_useOnlyWhatTheProjectsModulesExportToThem() {
    ModuleBoundary b = ModuleBoundary.fromClassPath();
    assertThat(b.moduleNames()).contains("dev.hicache.api", "dev.hicache.core");
    assertThat(b.violations("dev.hicache.benchmarks", ModuleBoundary.classesOf(TreeMatchBenchmark.class))).isEmpty();
  }
}
