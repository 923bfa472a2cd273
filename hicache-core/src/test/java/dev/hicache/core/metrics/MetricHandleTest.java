package dev.hicache.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.spi.MetricsSink;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Metric handles (docs/observability.md#metrics): reporting through one is reporting by name and
 * label, for InMemoryMetrics, for a sink that keeps the default handles, and through a tee; and a
 * handle never used reports nothing.
 */
class MetricHandleTest {
  /** Records every call by name (a test double that keeps MetricsSink's default handles). */
  static final class RecordingSinkDouble implements MetricsSink {
    final List<String> calls = new ArrayList<>();

    @Override public void count(String name, String label, long delta) { calls.add("count " + name + "{" + label + "} " + delta); }

    @Override public void gauge(String name, String label, long value) { calls.add("gauge " + name + "{" + label + "} " + value); }

    @Override public void observe(String name, String label, double value) { calls.add("observe " + name + "{" + label + "} " + value); }
  }

  @Test void inMemory_aHandleAddsToTheSameCellAsCount_andSetsTheSameGauge() {
    InMemoryMetrics m = new InMemoryMetrics();
    MetricHandle ticks = MetricHandle.of(m, "hicache_tp_consensus_ticks", null);
    MetricHandle cached = MetricHandle.of(m, "cached_tokens", "device");
    MetricHandle used = MetricHandle.of(m, "device_used_tokens", null);
    ticks.add(1);
    ticks.add(1);
    m.count("hicache_tp_consensus_ticks", null, 3);
    cached.add(64);
    m.count("cached_tokens", "host", 7);
    used.set(10);
    used.set(4);
    assertThat(m.counter("hicache_tp_consensus_ticks")).isEqualTo(5);
    assertThat(m.counter("cached_tokens", "device")).isEqualTo(64);
    assertThat(m.counter("cached_tokens", "host")).isEqualTo(7);
    assertThat(m.gauge("device_used_tokens", null)).isEqualTo(4);
  }

  /**
   * Each handle of InMemoryMetrics has a cell of its own, added to by its one thread: a counter
   * reads as the sum of every handle's cell and the count calls, from any thread, in the dump too.
   */
  @Test void inMemory_handlesOnSeveralThreads_andCountCalls_sumIntoOneCounter() throws InterruptedException {
    InMemoryMetrics m = new InMemoryMetrics();
    Thread[] threads = new Thread[3];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> {
        MetricHandle h = MetricHandle.of(m, "prompt_tokens", null);
        for (int i = 0; i < 10_000; i++) {
          h.add(2);
          m.count("prompt_tokens", null, 1);
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) t.join();
    assertThat(m.counter("prompt_tokens")).isEqualTo(3 * 10_000 * 3L);
    assertThat(m.counters()).containsEntry("prompt_tokens", 90_000L);
    assertThat(m.dump()).contains("counter prompt_tokens 90000");
  }

  /** Handles are resolved at the first report: a metric the engine never reports never appears (as with count). */
  @Test void aHandleNeverUsed_reportsNothing() {
    InMemoryMetrics m = new InMemoryMetrics();
    MetricHandle.of(m, "cached_tokens", "storage");
    MetricHandle.of(m, "device_used_tokens", null);
    assertThat(m.counters()).isEmpty();
    assertThat(m.gauges()).isEmpty();
    RecordingSinkDouble r = new RecordingSinkDouble();
    MetricHandle.of(r, "cached_tokens", "storage");
    assertThat(r.calls).isEmpty();
  }

  @Test void aSinkWithTheDefaultHandles_seesTheSameCallsAsByName() {
    RecordingSinkDouble r = new RecordingSinkDouble();
    MetricHandle c = MetricHandle.of(r, "cached_tokens", "host");
    MetricHandle g = MetricHandle.of(r, "device_used_tokens", null);
    c.add(5);
    g.set(9);
    c.add(0);
    assertThat(r.calls).containsExactly("count cached_tokens{host} 5", "gauge device_used_tokens{null} 9",
        "count cached_tokens{host} 0");
  }

  @Test void throughATee_eachSinkGetsTheReport() {
    InMemoryMetrics a = new InMemoryMetrics();
    RecordingSinkDouble b = new RecordingSinkDouble();
    MetricsSink tee = MetricsSink.tee(a, b);
    MetricHandle c = MetricHandle.of(tee, "prompt_tokens", null);
    MetricHandle g = MetricHandle.of(tee, "hicache_prefetch_tokens_occupied", null);
    c.add(100);
    c.add(28);
    g.set(3);
    assertThat(a.counter("prompt_tokens")).isEqualTo(128);
    assertThat(a.gauge("hicache_prefetch_tokens_occupied", null)).isEqualTo(3);
    assertThat(b.calls).containsExactly("count prompt_tokens{null} 100", "count prompt_tokens{null} 28",
        "gauge hicache_prefetch_tokens_occupied{null} 3");
  }

  /** Through a tee, a release reaches each sink's handle: the InMemoryMetrics behind it keeps one cell for caches in turn. */
  @Test void throughATee_releaseReachesEachSink() {
    InMemoryMetrics a = new InMemoryMetrics();
    RecordingSinkDouble b = new RecordingSinkDouble();
    MetricsSink tee = MetricsSink.tee(a, b);
    for (int cache = 0; cache < 50; cache++) {
      MetricHandle h = MetricHandle.of(tee, "prompt_tokens", null);
      h.add(2);
      h.release();
    }
    assertThat(a.counter("prompt_tokens")).isEqualTo(100);
    assertThat(a.counterCells("prompt_tokens", null)).isEqualTo(1);
    assertThat(b.calls).hasSize(50);
  }

  @Test void none_handlesDoNothing() {
    MetricHandle.of(MetricsSink.NONE, "prompt_tokens", null).add(1);
    MetricHandle.of(MetricsSink.NONE, "device_used_tokens", null).set(1);
    assertThat(MetricsSink.NONE.counterHandle("x", null)).isSameAs(MetricsSink.NONE.counterHandle("y", "z"));
  }

  /**
   * A released handle gives its cell back with its value: the next handle of the counter takes that
   * cell, so caches built one after another on one sink leave one cell per counter, not one per
   * cache, and the counter still reads as every add (docs/observability.md#metrics).
   */
  @Test void inMemory_releasedCells_goToTheNextHandle_andKeepTheirCounts() {
    InMemoryMetrics m = new InMemoryMetrics();
    for (int cache = 1; cache <= 100; cache++) {
      MetricHandle h = MetricHandle.of(m, "cached_tokens", "host");
      h.add(cache);
      h.add(cache);
      h.release();
    }
    assertThat(m.counter("cached_tokens", "host")).isEqualTo(2 * 5050);
    assertThat(m.counterCells("cached_tokens", "host")).isEqualTo(1);
    // Two live at once need two cells; once both are given back, later handles take those two.
    MetricHandle a = MetricHandle.of(m, "cached_tokens", "host");
    MetricHandle b = MetricHandle.of(m, "cached_tokens", "host");
    a.add(1);
    b.add(2);
    assertThat(m.counterCells("cached_tokens", "host")).isEqualTo(2);
    a.release();
    b.release();
    for (int i = 0; i < 10; i++) {
      MetricHandle c = MetricHandle.of(m, "cached_tokens", "host");
      MetricHandle d = MetricHandle.of(m, "cached_tokens", "host");
      c.add(1);
      d.add(1);
      c.release();
      d.release();
    }
    assertThat(m.counterCells("cached_tokens", "host")).isEqualTo(2);
    assertThat(m.counter("cached_tokens", "host")).isEqualTo(2 * 5050 + 3 + 20);
  }

  /** A report after release takes a cell again (as a first report); a release with no cell is a no-op. */
  @Test void inMemory_aReportAfterRelease_countsAgain() {
    InMemoryMetrics m = new InMemoryMetrics();
    MetricHandle h = MetricHandle.of(m, "prompt_tokens", null);
    h.release();
    assertThat(m.counters()).isEmpty();
    h.add(5);
    h.release();
    h.release();
    h.add(7);
    MetricHandle other = MetricHandle.of(m, "prompt_tokens", null);
    other.add(11);
    assertThat(m.counter("prompt_tokens")).isEqualTo(23);
    assertThat(m.counterCells("prompt_tokens", null)).isEqualTo(2);
  }

  /** A cell given back twice is still one owner's: two handles taken after it never share it. */
  @Test void inMemory_aCellGivenBackTwice_goesToOneHandleOnly() {
    InMemoryMetrics m = new InMemoryMetrics();
    InMemoryMetrics.OwnedCounter c = (InMemoryMetrics.OwnedCounter) m.counterHandle("prompt_tokens", null);
    c.add(1);
    c.release();
    c.release();
    MetricsSink.Counter x = m.counterHandle("prompt_tokens", null);
    MetricsSink.Counter y = m.counterHandle("prompt_tokens", null);
    assertThat(x).isSameAs(c);
    assertThat(y).isNotSameAs(x);
  }

  /**
   * Threads that take a handle, add through it and release it, over and over, while a reader reads:
   * the counter never reads more than was added nor goes down, ends exact, and holds at most one
   * cell per thread (each hand-over of a cell goes through the counter's monitor).
   */
  @Test void inMemory_handlesTakenAndReleasedOnManyThreads_countExactly() throws InterruptedException {
    InMemoryMetrics m = new InMemoryMetrics();
    int threads = 4, rounds = 2_000;
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    List<String> bad = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread reader = Thread.ofPlatform().start(() -> {
      long last = 0;
      while (!done.get()) {
        long v = m.counter("hicache_prefetch_started");
        if (v < last || v > (long) threads * rounds * 3) bad.add(last + " -> " + v);
        last = v;
      }
    });
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      ts[t] = Thread.ofPlatform().start(() -> {
        for (int i = 0; i < rounds; i++) {
          MetricHandle h = MetricHandle.of(m, "hicache_prefetch_started", null);
          h.add(1);
          h.add(2);
          h.release();
        }
      });
    }
    for (Thread t : ts) t.join();
    done.set(true);
    reader.join();
    assertThat(bad).isEmpty();
    assertThat(m.counter("hicache_prefetch_started")).isEqualTo((long) threads * rounds * 3);
    assertThat(m.counterCells("hicache_prefetch_started", null)).isBetween(1, threads);
  }

  /**
   * A distribution handle observes into the same distribution as observe() by name: summaries merge
   * its own cell; released cells go to the next handle with their observations (as counter cells).
   */
  @Test void inMemory_distributionHandles_mergeIntoOneSummary_andReleasedCellsAreReused() {
    InMemoryMetrics m = new InMemoryMetrics();
    m.observe("hicache_prefetch_duration_seconds", "unfulfilled", 5.0);
    for (int cache = 1; cache <= 50; cache++) {
      MetricHandle h = MetricHandle.of(m, "hicache_prefetch_duration_seconds", "unfulfilled");
      h.observe(cache);
      h.observe(0.5);
      h.release();
    }
    assertThat(m.distribution("hicache_prefetch_duration_seconds", "unfulfilled"))
        .isEqualTo(new InMemoryMetrics.Summary(101, 5.0 + 1275 + 25, 0.5, 50));
    assertThat(m.distributionCells("hicache_prefetch_duration_seconds", "unfulfilled")).isEqualTo(1);
    MetricHandle a = MetricHandle.of(m, "backup_pgs", null);
    MetricHandle b = MetricHandle.of(m, "backup_pgs", null);
    a.observe(2);
    b.observe(-1);
    assertThat(m.distribution("backup_pgs", null)).isEqualTo(new InMemoryMetrics.Summary(2, 1, -1, 2));
    assertThat(m.distributionCells("backup_pgs", null)).isEqualTo(2);
    assertThat(m.dump()).contains("distribution backup_pgs count=2 sum=1.0 min=-1.0 max=2.0");
  }

  @Test void throughATee_distributionHandles_reachEachSink() {
    InMemoryMetrics a = new InMemoryMetrics();
    RecordingSinkDouble b = new RecordingSinkDouble();
    MetricsSink tee = MetricsSink.tee(a, b);
    for (int cache = 0; cache < 3; cache++) {
      MetricHandle h = MetricHandle.of(tee, "backup_pgs", null);
      h.observe(4);
      h.release();
    }
    assertThat(a.distribution("backup_pgs", null)).isEqualTo(new InMemoryMetrics.Summary(3, 12, 4, 4));
    assertThat(a.distributionCells("backup_pgs", null)).isEqualTo(1);
    assertThat(b.calls).containsExactly("observe backup_pgs{null} 4.0", "observe backup_pgs{null} 4.0", "observe backup_pgs{null} 4.0");
    MetricHandle.of(MetricsSink.NONE, "backup_pgs", null).observe(1);
  }
}
