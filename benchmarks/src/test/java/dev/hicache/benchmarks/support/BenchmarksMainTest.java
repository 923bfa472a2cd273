package dev.hicache.benchmarks.support;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BenchmarksMainTest {
  @Test
  void chronicleJvmArgs_areTheParentPomsProperty() throws Exception {
    String expected = System.getProperty("hicache.chronicle.jvmArgs");
    assertThat(expected).as("surefire passes the parent pom's property").isNotBlank();
    assertThat(BenchmarksMain.chronicleJvmArgs()).isEqualTo(expected.strip());
  }

  @Test
  void withChronicleFlags_prependsThemForEveryFork() {
    String[] args = BenchmarksMain.withChronicleFlags(new String[] {"l3.LocalL3StoreBenchmark", "-f", "1"}, "--a b -Dc=d");
    assertThat(args).containsExactly("-jvmArgsPrepend=--a b -Dc=d", "l3.LocalL3StoreBenchmark", "-f", "1");
  }

  @Test
  void withChronicleFlags_leavesAUsersOwnPrependAlone() {
    String[] mine = {"-jvmArgsPrepend", "-Xint", "x"};
    assertThat(BenchmarksMain.withChronicleFlags(mine, "--a b")).isSameAs(mine);
    String[] attached = {"-jvmArgsPrepend=-Xint"};
    assertThat(BenchmarksMain.withChronicleFlags(attached, "--a b")).isSameAs(attached);
  }
}
