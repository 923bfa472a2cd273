package dev.hicache.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InMemoryMetricsTest {
  @Test void counts_gauges_distributions_andDumpsSorted() {
    InMemoryMetrics m = new InMemoryMetrics();
    m.count("cached_tokens", "host", 64);
    m.count("cached_tokens", "host", 64);
    m.count("cached_tokens", "device", 10);
    m.count("prompt_tokens", 5);
    m.gauge("hicache_host_used_tokens", null, 3);
    m.gauge("hicache_host_used_tokens", null, 7);
    m.observe("load_back_duration_seconds", null, 0.5);
    m.observe("load_back_duration_seconds", null, 1.5);
    assertThat(m.counter("cached_tokens", "host")).isEqualTo(128);
    assertThat(m.counter("cached_tokens", "storage")).isZero();
    assertThat(m.gauge("hicache_host_used_tokens", null)).isEqualTo(7);
    assertThat(m.distribution("load_back_duration_seconds", null)).isEqualTo(new InMemoryMetrics.Summary(2, 2.0, 0.5, 1.5));
    assertThat(m.dump()).isEqualTo("""
        counter cached_tokens{device} 10
        counter cached_tokens{host} 128
        counter prompt_tokens 5
        gauge hicache_host_used_tokens 7
        distribution load_back_duration_seconds count=2 sum=2.0 min=0.5 max=1.5
        """);
  }

  /** Counters and gauges are cached per (name, label): the same name with and without labels stays apart. */
  @Test void sameName_withAndWithoutLabels_andFromManyThreads_countsApart() throws InterruptedException {
    InMemoryMetrics m = new InMemoryMetrics();
    m.count("x", null, 1);
    m.count("x", "a", 2);
    m.count("x", "b", 3);
    m.gauge("g", null, 4);
    m.gauge("g", "a", 5);
    Thread[] ts = new Thread[4];
    for (int i = 0; i < ts.length; i++) {
      ts[i] = new Thread(() -> {
        for (int k = 0; k < 10_000; k++) {
          m.count("x", "a", 1);
          m.count("x", null, 1);
        }
      });
      ts[i].start();
    }
    for (Thread t : ts) t.join();
    assertThat(m.counter("x")).isEqualTo(1 + 40_000);
    assertThat(m.counter("x", "a")).isEqualTo(2 + 40_000);
    assertThat(m.counter("x", "b")).isEqualTo(3);
    assertThat(m.gauge("g", null)).isEqualTo(4);
    assertThat(m.gauge("g", "a")).isEqualTo(5);
    assertThat(m.counters()).containsExactly(java.util.Map.entry("x", 40_001L), java.util.Map.entry("x{a}", 40_002L),
        java.util.Map.entry("x{b}", 3L));
    assertThat(m.gauges()).containsOnlyKeys("g", "g{a}");
  }

  /**
   * The reference-equality cache in front of the maps: equal names that are different String
   * objects, and (name, label) pairs that share a cache slot, still reach the same counter.
   */
  @Test void equalButNotIdenticalNames_andSlotCollisions_countTogether() {
    InMemoryMetrics m = new InMemoryMetrics();
    String a1 = "cached_tokens", a2 = new String("cached_tokens");
    String h1 = "host", h2 = new String("host");
    for (int i = 0; i < 100; i++) {
      m.count(i % 2 == 0 ? a1 : a2, i % 3 == 0 ? h1 : h2, 1);
      m.gauge(i % 2 == 0 ? a1 : a2, i % 3 == 0 ? h1 : h2, i);
    }
    assertThat(m.counter("cached_tokens", "host")).isEqualTo(100);
    assertThat(m.gauge("cached_tokens", "host")).isEqualTo(99);
    // Many names: every slot of the cache is shared by several pairs; the counts stay exact.
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 2_000; i++) m.count("n" + i, (i % 5 == 0) ? null : "l" + (i % 7), i);
    }
    for (int i = 0; i < 2_000; i++) {
      assertThat(m.counter("n" + i, (i % 5 == 0) ? null : "l" + (i % 7))).as("n%d", i).isEqualTo(3L * i);
    }
  }

  /**
   * Distributions have the same cache in front of their maps: labelled and unlabelled
   * observations of one name stay apart, equal names that are different String objects and pairs
   * that share a cache slot reach the same distribution.
   */
  @Test void distributions_byLabel_equalNames_andSlotCollisions_observeTogether() {
    InMemoryMetrics m = new InMemoryMetrics();
    String d1 = "hicache_prefetch_duration_seconds", d2 = new String(d1);
    String r1 = "unfulfilled", r2 = new String(r1);
    for (int i = 1; i <= 100; i++) {
      m.observe(i % 2 == 0 ? d1 : d2, i % 3 == 0 ? r1 : r2, i);
      m.observe(d1, "completed", 1000 + i);
      m.observe(d1, null, -i);
    }
    assertThat(m.distribution(d1, "unfulfilled")).isEqualTo(new InMemoryMetrics.Summary(100, 5050.0, 1, 100));
    assertThat(m.distribution(d1, "completed")).isEqualTo(new InMemoryMetrics.Summary(100, 105_050.0, 1001, 1100));
    assertThat(m.distribution(d1, null)).isEqualTo(new InMemoryMetrics.Summary(100, -5050.0, -100, -1));
    // One name, two labels in the same cache slot, and the name unlabelled in the slot of a label.
    String label2 = null, named = null;
    for (int i = 0; label2 == null || named == null; i++) {
      if (label2 == null && InMemoryMetrics.hotSlot(d1, "r" + i) == InMemoryMetrics.hotSlot(d1, "r0") && i > 0) label2 = "r" + i;
      if (named == null && InMemoryMetrics.hotSlot("x" + i, null) == InMemoryMetrics.hotSlot(d1, "r0")) named = "x" + i;
    }
    for (int i = 0; i < 10; i++) {
      m.observe(d1, "r0", 1);
      m.observe(d1, label2, 2);
      m.observe(d2, new String(label2), 2);
      m.observe(named, null, 3);
    }
    assertThat(m.distribution(d1, "r0")).isEqualTo(new InMemoryMetrics.Summary(10, 10.0, 1, 1));
    assertThat(m.distribution(d1, label2)).isEqualTo(new InMemoryMetrics.Summary(20, 40.0, 2, 2));
    assertThat(m.distribution(named, null)).isEqualTo(new InMemoryMetrics.Summary(10, 30.0, 3, 3));
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 2_000; i++) m.observe("n" + i, (i % 5 == 0) ? null : "l" + (i % 7), i);
    }
    for (int i = 0; i < 2_000; i++) {
      assertThat(m.distribution("n" + i, (i % 5 == 0) ? null : "l" + (i % 7))).as("n%d", i)
          .isEqualTo(new InMemoryMetrics.Summary(3, 3.0 * i, i, i));
    }
    assertThat(m.dump()).contains("distribution hicache_prefetch_duration_seconds{unfulfilled} count=100 sum=5050.0",
        "distribution hicache_prefetch_duration_seconds count=100 sum=-5050.0");
  }

  /**
   * The counters the engine reports per request and per page move (what one replay of
   * ObservabilityOverheadBenchmark counts, docs/benchmarks.md) all stay in the cache: two pairs
   * sharing a slot must not evict each other on every alternation.
   */
  @Test void enginesPerRequestCounters_allStayCached() {
    String[][] pairs = {
        {"prompt_tokens", null}, {"cached_tokens", "device"}, {"cached_tokens", "host"}, {"cached_tokens", "storage"},
        {"backuped_tokens", "host"}, {"backuped_tokens", "storage"}, {"evicted_tokens", "device"},
        {"evicted_tokens", "host"}, {"hicache_backup_bytes", null}, {"hicache_l3_bytes", "write"},
        {"hicache_l3_bytes", "read"}, {"hicache_l3_pages", "write"}, {"hicache_l3_pages", "read"},
        {"hicache_l3_hit_tokens", null}, {"hicache_prefetch_started", null}, {"hicache_prefetch_completed", null},
        {"hicache_prefetch_terminated", "unfulfilled"}, {"hicache_prefetch_terminated", "complete"},
        {"hicache_prefetch_skipped", "below_threshold"}, {"hicache_tp_consensus_ticks", null},
        {"load_back_bytes", null}, {"load_back_tokens", null}, {"prefetched_tokens", null}};
    InMemoryMetrics m = new InMemoryMetrics();
    for (String[] p : pairs) m.count(p[0], p[1], 1);
    for (String[] p : pairs) assertThat(m.counterCached(p[0], p[1])).as("%s{%s}", p[0], p[1]).isTrue();
    // Five pairs of one slot: the first PROBES stay; the fifth takes the home slot, and counts stay exact.
    String[] same = new String[5];
    same[0] = "s0";
    for (int i = 1, k = 1; k < 5; i++) if (InMemoryMetrics.hotSlot("s" + i, "x") == InMemoryMetrics.hotSlot("s0", "x")) same[k++] = "s" + i;
    InMemoryMetrics n = new InMemoryMetrics();
    for (int round = 0; round < 3; round++) for (String s : same) n.count(s, "x", 1);
    for (String s : same) assertThat(n.counter(s, "x")).isEqualTo(3);
  }

  /**
   * A distribution's summary is always whole observations: writers on several threads observe
   * 1.0 and 3.0 in turns while a reader takes summaries; in every summary the sum is exactly what
   * its count allows (between count and 3 x count, and count + 2k for a whole number k), min and
   * max are 1 or 3, and the final summary has every observation (the sequence lock that replaced
   * the monitor, docs/observability.md#metrics).
   */
  @Test void distribution_summaries_areWholeObservations_underConcurrentObservers() throws Exception {
    InMemoryMetrics m = new InMemoryMetrics();
    int writers = 3, each = 20_000;
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.List<String> bad = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    Thread reader = Thread.ofPlatform().start(() -> {
      while (!done.get()) {
        InMemoryMetrics.Summary s = m.distribution("d", null);
        long c = s.count();
        double extra = s.sum() - c;
        if (c == 0) continue;
        if (extra < 0 || extra > 2.0 * c || extra % 2 != 0 || (s.min() != 1 && s.min() != 3) || (s.max() != 1 && s.max() != 3)) {
          bad.add(s.toString());
        }
      }
    });
    Thread[] ws = new Thread[writers];
    for (int w = 0; w < writers; w++) {
      ws[w] = Thread.ofPlatform().start(() -> {
        for (int i = 0; i < each; i++) m.observe("d", null, i % 2 == 0 ? 1.0 : 3.0);
      });
    }
    for (Thread w : ws) w.join();
    done.set(true);
    reader.join();
    assertThat(bad).isEmpty();
    assertThat(m.distribution("d", null)).isEqualTo(new InMemoryMetrics.Summary((long) writers * each, 2.0 * writers * each, 1, 3));
  }

  /**
   * As above with handles: two writers observe through handles of their own (plain stores under
   * each cell's sequence lock), one through observe(); a reader merging the cells never sees part of
   * an observation, and the final summary is exact.
   */
  @Test void distribution_summaries_areWholeObservations_withHandleCells() throws Exception {
    InMemoryMetrics m = new InMemoryMetrics();
    int each = 1_000_000;
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.List<String> bad = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    Thread reader = Thread.ofPlatform().start(() -> {
      while (!done.get()) {
        InMemoryMetrics.Summary s = m.distribution("d", null);
        long c = s.count();
        double extra = s.sum() - c;
        if (c == 0) continue;
        if (extra < 0 || extra > 2.0 * c || extra % 2 != 0 || (s.min() != 1 && s.min() != 3) || (s.max() != 1 && s.max() != 3)) {
          bad.add(s.toString());
        }
      }
    });
    Thread[] ws = new Thread[3];
    for (int w = 0; w < ws.length; w++) {
      boolean handle = w < 2;
      ws[w] = Thread.ofPlatform().start(() -> {
        MetricHandle h = MetricHandle.of(m, "d", null);
        for (int i = 0; i < each; i++) {
          double v = i % 2 == 0 ? 1.0 : 3.0;
          if (handle) h.observe(v);
          else m.observe("d", null, v);
        }
      });
    }
    for (Thread w : ws) w.join();
    done.set(true);
    reader.join();
    assertThat(bad).isEmpty();
    assertThat(m.distribution("d", null)).isEqualTo(new InMemoryMetrics.Summary(3L * each, 2.0 * 3 * each, 1, 3));
  }
}
