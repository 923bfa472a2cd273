package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.api.MemLayout;
import dev.hicache.api.config.WritePolicyKind;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * KV events (docs/observability.md#kv-events): for generated request streams and completion
 * orders, a listener's view of which pages each tier holds, rebuilt from the events alone, equals
 * the cache's own after every step; after close both tiers are cleared. Per-event and batch form.
 */
class KvEventsPropertyTest {
  static final int EXAMPLES = Math.max(20, Integer.getInteger("hicache.property.examples", 400) / 8);
  static final long SEED = Long.getLong("hicache.property.seed", 20261207L);
  private static final String[] EVICTION = {"lru", "lfu", "priority"};

  private static void check(WritePolicyKind policy, boolean storage) {
    check(policy, storage, false);
  }

  private static void check(WritePolicyKind policy, boolean storage, boolean batches) {
    AtomicLong events = new AtomicLong();
    AtomicLong l3Pages = new AtomicLong();
    qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(100)
        .forAll(integers().between(0, EVICTION.length - 1), integers().between(3, 12),
            lists().of(integers().between(0, Integer.MAX_VALUE)).ofSizeBetween(1, 120))
        .checkAssert((ev, devicePages, script) -> {
          EngineScript s = new EngineScript(policy, EVICTION[ev], MemLayout.PAGE_FIRST, devicePages, 3.0, false);
          if (storage) s.l3 = new InMemoryL3StoreDouble();
          s.kvView = new TierStateKvListener();
          s.kvBatches = batches;
          s.run(script);
          events.addAndGet(s.kvView.events);
          l3Pages.addAndGet(s.kvView.storagePages());
        });
    // The property would hold vacuously if nothing were ever reported.
    assertThat(events.get()).isPositive();
    if (storage) assertThat(l3Pages.get()).as("pages reported stored in L3").isPositive();
  }

  @Test void writeThrough_listenersViewEqualsTheCache() { check(WritePolicyKind.WRITE_THROUGH, false); }

  @Test void writeBack_listenersViewEqualsTheCache() { check(WritePolicyKind.WRITE_BACK, false); }

  @Test void withL3Prefetch_listenersViewEqualsTheCache() { check(WritePolicyKind.WRITE_THROUGH, true); }

  /** The batch form, read through the view's fields: the same view. */
  @Test void batchForm_writeBack_withL3Prefetch_listenersViewEqualsTheCache() {
    check(WritePolicyKind.WRITE_BACK, true, true);
  }
}
