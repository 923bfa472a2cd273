package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.api.MemLayout;
import dev.hicache.api.Namespace;
import dev.hicache.api.config.WritePolicyKind;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * Requests of different namespaces never share a page, in any tier (docs/behaviour.md#namespaces):
 * generated request streams over several namespaces whose prompts are drawn from the same few
 * documents (identical token sequences across namespaces), with generated completion orders, random
 * tier sizes (so evictions), L1 + L2 with and without L3 (the in-memory L3 double), every write
 * policy, eviction policy and host layout, with and without a per-namespace quota and a seeded
 * default namespace. Every request's KV bytes derive from its page keys chained from its
 * namespace's seed ({@link EngineScript#namespaces}); checked after every step: the tree's and the
 * controller's invariants (every chain re-hashed from its namespace's seed), every page at rest in
 * L1, L2 and L3 holds the bytes of the key it is filed under, and every prefix a request is served
 * is byte for byte its own namespace's.
 *
 * <p>{@value #DEFAULT_EXAMPLES} examples by default; more with {@code
 * -Dhicache.namespace.examples=N}, another stream with {@code -Dhicache.property.seed=S}.
 */
class NamespaceIsolationPropertyTest {
  static final int DEFAULT_EXAMPLES = 300;
  static final int EXAMPLES = Integer.getInteger("hicache.namespace.examples", DEFAULT_EXAMPLES);
  static final long SEED = Long.getLong("hicache.property.seed", 20261125L);

  private static final String[] EVICTION = {"lru", "lfu", "fifo", "mru", "priority", "slru"};
  private static final double[] QUOTAS = {0, 0.25, 0.5, 1.0};

  /** One script's configuration (prints itself in a falsifying example). */
  record Setup(WritePolicyKind write, String eviction, MemLayout layout, int devicePages, int namespaces,
               boolean seededDefault, double quota, boolean l3) {
    EngineScript script() {
      EngineScript s = new EngineScript(write, eviction, layout, devicePages, l3 ? 3.0 : 2.0, false);
      s.namespaces = namespaces;
      if (seededDefault) s.defaultSeed = Namespace.seed("default-tenant", null);
      s.namespaceQuota = quota;
      if (l3) s.l3 = new InMemoryL3StoreDouble();
      return s;
    }
  }

  private static Gen<Setup> setups() {
    Gen<Setup> tiers = integers().between(0, WritePolicyKind.values().length - 1).zip(
        integers().between(0, EVICTION.length - 1), integers().between(0, MemLayout.values().length - 1),
        integers().between(3, 12), integers().between(2, EngineScript.NAMESPACES.length),
        (w, ev, layout, device, ns) -> new Setup(WritePolicyKind.values()[w], EVICTION[ev], MemLayout.values()[layout],
            device, ns, false, 0, false));
    return tiers.zip(booleans().all(), integers().between(0, QUOTAS.length - 1), booleans().all(),
        (s, seeded, quota, l3) -> new Setup(s.write(), s.eviction(), s.layout(), s.devicePages(), s.namespaces(),
            seeded, QUOTAS[quota], l3));
  }

  private static Gen<List<Integer>> actions() {
    return lists().of(integers().between(0, Integer.MAX_VALUE)).ofSizeBetween(1, 200);
  }

  private static final AtomicLong RUNS = new AtomicLong();
  private static final AtomicLong DEVICE = new AtomicLong();
  private static final AtomicLong HOST = new AtomicLong();
  private static final AtomicLong STORAGE = new AtomicLong();
  private static final AtomicLong NAMESPACED = new AtomicLong();
  private static final AtomicLong QUOTA_RUNS = new AtomicLong();
  private static final AtomicLong L3_RUNS = new AtomicLong();

  private static void tally(EngineScript s) {
    DEVICE.addAndGet(s.servedDevicePages);
    HOST.addAndGet(s.servedHostPages);
    STORAGE.addAndGet(s.servedStoragePages);
    NAMESPACED.addAndGet(s.namespacedRequests);
  }

  @Test void requestsOfDifferentNamespaces_neverShareAPage_inAnyTier_anyPolicy() {
    qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(Integer.getInteger("hicache.namespace.shrinkCycles", 200))
        .forAll(setups(), actions())
        .checkAssert((setup, script) -> {
          EngineScript s = setup.script();
          s.run(script);
          tally(s);
          if (setup.l3()) {
            // A second instance, cold in L1 and L2, on the L3 the first one filled: the same stream
            // now finds its prompts in L3, under every namespace that stored them.
            EngineScript cold = setup.script();
            cold.l3 = s.l3;
            cold.run(script);
            tally(cold);
            L3_RUNS.incrementAndGet();
          }
          RUNS.incrementAndGet();
          if (setup.quota() > 0) QUOTA_RUNS.incrementAndGet();
        });
    System.out.println("namespace isolation: " + RUNS.get() + " examples (" + L3_RUNS.get() + " with L3, "
        + QUOTA_RUNS.get() + " with a quota), " + NAMESPACED.get() + " requests of a named namespace; pages served and"
        + " verified from L1 " + DEVICE.get() + ", L2 " + HOST.get() + ", L3 " + STORAGE.get());
    // The streams do reach every tier, so the property is not vacuous there.
    assertThat(NAMESPACED.get()).isPositive();
    assertThat(DEVICE.get()).isPositive();
    assertThat(HOST.get()).isPositive();
    assertThat(STORAGE.get()).isPositive();
  }
}
