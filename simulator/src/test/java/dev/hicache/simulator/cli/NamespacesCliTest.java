package dev.hicache.simulator.cli;

import static dev.hicache.simulator.cli.MainTest.hitRatio;
import static dev.hicache.simulator.cli.MainTest.range;
import static dev.hicache.simulator.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.MatchTouch;
import dev.hicache.simulator.l3.MemoryL3Store;
import dev.hicache.simulator.virtualtime.TieredSimulation;
import dev.hicache.simulator.workload.MultiTurnWorkload;
import dev.hicache.simulator.workload.NamespacedWorkload;
import dev.hicache.simulator.workload.Request;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Namespaces on the command line (docs/behaviour.md#namespaces): page-keys and simulate --namespaces. */
class NamespacesCliTest {

  @Test void pageKeys_ofANamespace_areTheL3KeysTheEngineWritesForARequestOfIt() {
    int[] tokens = IntStream.range(0, 4 * 64 + 10).map(i -> 7 * i + 3).toArray();
    String ids = IntStream.of(tokens).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","));
    MainTest.Run keys = run("page-keys", "--extra-key", "lora-7", "--cache-salt", "user-1", "--tokens", ids);
    assertThat(keys.code()).isZero();
    assertThat(keys.out().lines()).hasSize(4);
    MemoryL3Store l3 = new MemoryL3Store(1 << 10);
    HiCacheConfig config = HiCacheConfig.builder().writePolicy(WritePolicyKind.WRITE_THROUGH).build();
    try (TieredSimulation s = new TieredSimulation(config, KvShape.mha(2, 1, 8, DType.BF16, 64), 16 * 64, 64 * 64,
        CostModel.pcieGen5(), 0, 0, MatchTouch.MATCHED_ONLY, l3, null)) {
      s.submit(0, tokens, null, 1, null, Namespace.ofSglang("lora-7", "user-1"));
      s.drain();
    }
    assertThat(l3.size()).isEqualTo(4);
    for (String hex : keys.out().lines().toList()) {
      assertThat(l3.exists(PageKey.fromHex(hex))).as("L3 holds " + hex).isTrue();
    }
    // Without the namespace, page-keys names other objects.
    for (String hex : run("page-keys", "--tokens", ids).out().lines().toList()) {
      assertThat(l3.exists(PageKey.fromHex(hex))).isFalse();
    }
  }

  private static final String[] SYNTHETIC = {"simulate", "--workload", "synthetic", "--requests", "600", "--prefixes", "8",
      "--prefix-length", "1024", "--suffix-length", "128", "--request-rate", "20", "--instances", "1", "--format", "json",
      "--no-report"};

  private static String[] with(String... more) {
    String[] a = java.util.Arrays.copyOf(SYNTHETIC, SYNTHETIC.length + more.length);
    System.arraycopy(more, 0, a, SYNTHETIC.length, more.length);
    return a;
  }

  /** The report without what the wall clock sets (run time, page events per second). */
  private static String withoutWall(String json) {
    return json.replaceAll("\"(wall_seconds|page_events_per_second)\":[0-9.]+", "");
  }

  @Test void simulate_oneNamespace_isTheRunWithout_andMoreNamespacesShareLess() {
    MainTest.Run plain = run(SYNTHETIC);
    assertThat(plain.code()).as(plain.err()).isZero();
    MainTest.Run one = run(with("--namespaces", "1"));
    assertThat(withoutWall(one.out())).isEqualTo(withoutWall(plain.out()));
    MainTest.Run four = run(with("--namespaces", "4"));
    assertThat(four.code()).as(four.err()).isZero();
    assertThat(four.out()).contains("4 namespaces");
    // The same prompts, now in four namespaces: each shared prefix is computed once per namespace.
    assertThat(hitRatio(four.out())).isLessThan(hitRatio(plain.out()));
    assertThat(hitRatio(four.out())).isPositive();
    // Reproducible: the same seed spreads the sessions the same way.
    assertThat(withoutWall(run(with("--namespaces", "4")).out())).isEqualTo(withoutWall(four.out()));
  }

  @Test void simulate_badNamespaces_namesTheFlagAndValue() {
    MainTest.Run r = run(with("--namespaces", "0"));
    assertThat(r.code()).isEqualTo(Main.EX_USAGE);
    assertThat(r.err()).contains("--namespaces").contains("'0'");
    MainTest.Run l1 = run("simulate", "--l1-only", "--namespaces", "2");
    assertThat(l1.code()).isEqualTo(Main.EX_USAGE);
    assertThat(l1.err()).contains("--namespaces");
  }

  @Test void namespacedWorkload_keepsAClientsTurnsInOneNamespace_andUsesThemAll() throws IOException {
    MultiTurnWorkload.Params p = new MultiTurnWorkload.Params(40, 3, 128, 0, 16, 8.0, 8, "poisson", "random", 3);
    Map<Long, Namespace> byClient = new HashMap<>();
    Set<Namespace> used = new HashSet<>();
    try (NamespacedWorkload w = new NamespacedWorkload(new MultiTurnWorkload(p), 3, 11)) {
      Request r = new Request();
      long t = 0;
      while (w.next(r)) {
        assertThat(r.namespace).isNotNull();
        Namespace before = byClient.putIfAbsent(r.origin, r.namespace);
        if (before != null) assertThat(r.namespace).as("client " + r.origin).isEqualTo(before);
        used.add(r.namespace);
        w.completed(r, t += 1_000_000);
      }
    }
    assertThat(used).hasSize(3);
    assertThat(new NamespacedWorkload(new MultiTurnWorkload(p), 3, 11).namespaceOf(5))
        .isEqualTo(new NamespacedWorkload(new MultiTurnWorkload(p), 3, 11).namespaceOf(5));
  }
}
