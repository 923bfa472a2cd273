package dev.hicache.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.core.testkit.ModuleBoundary;
import dev.hicache.simulator.cli.Main;
import org.junit.jupiter.api.Test;

/**
 * The simulator runs on the class path, where the project modules' module-info stops nothing: this
 * test is what keeps it to their exports (the engine through its facade and its simulation hooks).
 */
class ModuleBoundaryTest {
  @Test void theSimulator_usesOnlyWhatTheProjectsModulesExportToIt() {
    ModuleBoundary b = ModuleBoundary.fromClassPath();
    assertThat(b.moduleNames()).contains("dev.hicache.api", "dev.hicache.core", "dev.hicache.l2");
    assertThat(b.violations("dev.hicache.simulator", ModuleBoundary.classesOf(Main.class))).isEmpty();
  }
}
