package dev.hicache.simulator.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.PageHasher;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.simulator.SharedData;
import dev.hicache.simulator.engine.EngineReplay;
import dev.hicache.simulator.engine.EngineResult;
import dev.hicache.simulator.engine.EngineSetup;
import dev.hicache.simulator.model.HardwareProfile;
import dev.hicache.simulator.model.ModelProfile;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.trace.TraceFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The read-ahead thread must hand the engine exactly the workload's requests, in order, with the
 * keys the engine would compute itself; the engine's results must not change.
 */
class ReadAheadWorkloadTest {
  /** The first {@code lines} lines of the conversation trace (the test is skipped without it). */
  private static byte[] traceHead(int lines) throws IOException {
    List<String> all = Files.readAllLines(SharedData.conversationTrace());
    return (String.join("\n", all.subList(0, lines)) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static TraceWorkload trace(byte[] bytes) {
    return new TraceWorkload(MooncakeTraceReader.of(bytes, "head.jsonl"), 64, TraceWorkload.Arrivals.timestamps);
  }

  /** The trace with page keys by serial (docs/simulator.md#page-keys). */
  private static TraceWorkload bySerial(byte[] bytes) {
    return new TraceWorkload(MooncakeTraceReader.of(bytes, "head.jsonl"), 64, TraceWorkload.Arrivals.timestamps, true);
  }

  @Test void requestsAndKeys_areTheWorkloadsAndTheApisChain() throws IOException {
    byte[] head = traceHead(300);
    List<Request> direct = new ArrayList<>();
    try (TraceWorkload w = trace(head)) {
      Request r = new Request();
      while (w.next(r)) {
        Request c = new Request();
        c.arrivalNanos = r.arrivalNanos;
        c.tokens = r.tokens.clone();
        c.outputTokens = r.outputTokens;
        c.origin = r.origin;
        direct.add(c);
      }
    }
    PageHasher hasher = new PageHasher(64);
    try (TraceWorkload w = trace(head); ReadAheadWorkload ahead = new ReadAheadWorkload(w, 2, 64)) {
      Request r = new Request();
      int n = 0;
      while (ahead.next(r)) {
        Request d = direct.get(n++);
        assertThat(r.arrivalNanos).isEqualTo(d.arrivalNanos);
        assertThat(r.tokens).isEqualTo(d.tokens);
        assertThat(r.outputTokens).isEqualTo(d.outputTokens);
        assertThat(r.origin).isEqualTo(d.origin);
        // PageHasher.chain is the api's own hashing, independent of the engine's helper.
        assertThat(r.pageKeys).as("line " + r.origin).containsExactlyElementsOf(hasher.chain(d.tokens));
      }
      assertThat(n).isEqualTo(300);
      assertThat(ahead.next(r)).isFalse();
    }
    try (TraceWorkload w = trace(head); ReadAheadWorkload noKeys = new ReadAheadWorkload(w, 2, 0)) {
      Request r = new Request();
      assertThat(noKeys.next(r)).isTrue();
      assertThat(r.pageKeys).isNull();
    }
  }

  @Test void aBadLine_isThrownInItsPlace_afterTheRequestsBeforeIt() throws IOException {
    byte[] good = traceHead(3);
    byte[] bytes = (new String(good, StandardCharsets.UTF_8) + "{\"timestamp\": 1, \"input_length\": -5}\n")
        .getBytes(StandardCharsets.UTF_8);
    try (TraceWorkload w = trace(bytes); ReadAheadWorkload ahead = new ReadAheadWorkload(w, 8, 64)) {
      Request r = new Request();
      for (int i = 0; i < 3; i++) assertThat(ahead.next(r)).isTrue();
      assertThatThrownBy(() -> ahead.next(r)).isInstanceOf(TraceFormatException.class)
          .hasMessageContaining("head.jsonl").hasMessageContaining("4");
      assertThat(ahead.next(r)).isFalse();
    }
  }

  /** Past several batches: every request read before the bad line comes first, in order, then the failure. */
  @Test void aBadLine_afterSeveralBatches_isThrownAfterEveryRequestBeforeIt() throws IOException {
    int good = 3 * ReadAheadWorkload.BATCH + 5;
    byte[] head = traceHead(good);
    byte[] bytes = (new String(head, StandardCharsets.UTF_8) + "{\"timestamp\": 1, \"input_length\": -5}\n")
        .getBytes(StandardCharsets.UTF_8);
    List<Long> direct = new ArrayList<>();
    try (TraceWorkload w = trace(head)) {
      Request r = new Request();
      while (w.next(r)) direct.add(r.origin);
    }
    assertThat(direct).hasSize(good);
    for (int depth : new int[] {1, 64}) {
      try (TraceWorkload w = trace(bytes); ReadAheadWorkload ahead = new ReadAheadWorkload(w, depth, 64)) {
        Request r = new Request();
        List<Long> got = new ArrayList<>();
        for (int i = 0; i < good; i++) {
          assertThat(ahead.next(r)).isTrue();
          got.add(r.origin);
        }
        assertThat(got).isEqualTo(direct);
        assertThatThrownBy(() -> ahead.next(r)).isInstanceOf(TraceFormatException.class)
            .hasMessageContaining("head.jsonl").hasMessageContaining(String.valueOf(good + 1));
        assertThat(ahead.next(r)).isFalse();
      }
    }
  }

  @Test void close_stopsTheThreadMidStream_andLeavesTheWorkloadOpen() throws IOException {
    try (TraceWorkload w = trace(traceHead(200))) {
      ReadAheadWorkload ahead = new ReadAheadWorkload(w, 1, 64);
      assertThat(ahead.next(new Request())).isTrue();
      ahead.close();
      assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("hicache-read-ahead"));
      assertThatThrownBy(() -> ahead.next(new Request())).isInstanceOf(IllegalStateException.class);
      assertThat(w.next(new Request())).as("the wrapped workload is still open").isTrue();
    }
  }

  @Test void aClosedLoopWorkload_isRefused() {
    assertThatThrownBy(() -> new ReadAheadWorkload(new MultiTurnWorkload(WorkloadsTest.mt(2, 2, 1)), 4, 64))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("open-loop");
  }

  /** The same trace as a workload the replay cannot read ahead: the engine hashes every key itself. */
  private static Workload closedLoop(Workload w) {
    return new Workload() {
      @Override public boolean next(Request r) throws IOException { return w.next(r); }

      @Override public String describe() { return w.describe(); }

      @Override public void close() throws IOException { w.close(); }
    };
  }

  private static List<Object> summary(EngineResult r) {
    List<Object> s = new ArrayList<>(List.of(r.hits().requests(), r.hits().promptTokens(), r.hits().deviceTokens(), r.hits().hostTokens(),
        r.hits().storageTokens(), r.links().deviceToHostBytes(), r.links().hostToDeviceBytes(), r.evictions().deviceTokens(),
        r.evictions().hostTokens(), r.links().l3ReadPages(), r.links().l3WritePages(), r.prefetch().counters(), r.ttft().p50(), r.ttft().p90(),
        r.ttft().p99(), r.ttft().mean(), r.span().virtualNanos()));
    r.groups().forEach((g, v) -> s.add(g + "=" + v));
    s.addAll(r.timeline());
    return s;
  }

  @Test void engineReplay_withL3_givesTheSameResultWithKeysFromTheReadAheadThread() throws IOException {
    byte[] head = traceHead(1500);
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    HardwareProfile hw = HardwareProfile.preset("h100-box");
    // Small tiers, prefetches that wait for L3 (timeout, as ./hicache simulate), four round-robin instances sharing one L3: turns of a conversation meet in L3.
    EngineSetup setup = new EngineSetup(HiCacheConfig.builder().pageSize(64).prefetchPolicy(PrefetchPolicyKind.TIMEOUT).build(), m, hw, 1, m.shape(1, 64),
        64 * 1024, 128 * 1024, hw.prefillNanosPerToken(m, 1), 0, 4, "round_robin", 1024, 40_000 * 64L, "memory");
    EngineResult hashedByEngine;
    try (Workload w = closedLoop(trace(head))) {
      hashedByEngine = new EngineReplay(setup).run(w, null);
    }
    EngineResult readAhead;
    try (Workload w = trace(head)) {
      readAhead = new EngineReplay(setup).run(w, null);
    }
    assertThat(hashedByEngine.hits().storageTokens()).as("the run must use L3 for this to mean anything").isPositive();
    assertThat(summary(readAhead)).isEqualTo(summary(hashedByEngine));
    // Page events: every request's full prompt pages, as the L1-only replay counts them.
    long pages = 0;
    try (Workload w = trace(head)) {
      Request r = new Request();
      while (w.next(r)) pages += r.tokens.length / 64;
    }
    assertThat(readAhead.span().pageReferences()).isEqualTo(pages).isEqualTo(hashedByEngine.span().pageReferences());
    assertThat(readAhead.span().pageEventsPerSecond()).isPositive();
  }

  /**
   * Keys by serial: the read-ahead thread hands the serial keys of each prompt (chained from its
   * namespace's seed), the replay makes the same keys itself without the thread, and the results
   * are those of SGLang's keys.
   */
  @Test void engineReplay_withKeysBySerial_givesTheSameResult_withAndWithoutTheReadAheadThread() throws IOException {
    byte[] head = traceHead(1500);
    try (Workload w = new NamespacedWorkload(bySerial(head), 3, 7); ReadAheadWorkload ahead = new ReadAheadWorkload(w, 4, 64)) {
      SerialPageKeys serial = new SerialPageKeys(64);
      Request r = new Request();
      int n = 0;
      while (ahead.next(r)) {
        n++;
        assertThat(r.pageSerials).hasSize(r.tokens.length / 64);
        assertThat(r.pageKeys).containsExactly(serial.pageKeys(r.namespace.seed(), r.pageSerials, r.pageSerials.length));
      }
      assertThat(n).isEqualTo(1500);
    }
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    HardwareProfile hw = HardwareProfile.preset("h100-box");
    EngineSetup setup = new EngineSetup(HiCacheConfig.builder().pageSize(64).prefetchPolicy(PrefetchPolicyKind.TIMEOUT).build(), m, hw, 1, m.shape(1, 64),
        64 * 1024, 128 * 1024, hw.prefillNanosPerToken(m, 1), 0, 4, "round_robin", 1024, 40_000 * 64L, "memory");
    EngineResult byTokens, readAhead, inline;
    try (Workload w = trace(head)) {
      byTokens = new EngineReplay(setup).run(w, null);
    }
    try (Workload w = bySerial(head)) {
      readAhead = new EngineReplay(setup).run(w, null);
    }
    try (Workload w = closedLoop(bySerial(head))) {
      inline = new EngineReplay(setup).run(w, null);
    }
    assertThat(byTokens.hits().storageTokens()).as("the run must use L3 for this to mean anything").isPositive();
    assertThat(summary(readAhead)).isEqualTo(summary(byTokens));
    assertThat(summary(inline)).isEqualTo(summary(byTokens));
  }

  /**
   * Prefix affinity's routing keys made on the read-ahead thread: each request carries the given
   * function's key of its tokens, and a replay routed by them equals one that hashes every prompt
   * on the replay thread.
   */
  @Test void routeKeys_areMadeOnTheReadAheadThread_andTheReplayIsUnchanged() throws IOException {
    byte[] head = traceHead(1500);
    try (TraceWorkload w = trace(head); ReadAheadWorkload ahead = new ReadAheadWorkload(w, 4, 0, t -> t.length * 31L + t[0])) {
      Request r = new Request();
      int n = 0;
      while (ahead.next(r)) {
        n++;
        assertThat(r.routeKeyed).isTrue();
        assertThat(r.routeKey).isEqualTo(r.tokens.length * 31L + r.tokens[0]);
      }
      assertThat(n).isEqualTo(1500);
    }
    try (TraceWorkload w = trace(head); ReadAheadWorkload ahead = new ReadAheadWorkload(w, 4, 64)) {
      Request r = new Request();
      assertThat(ahead.next(r)).isTrue();
      assertThat(r.routeKeyed).as("no key function, no key").isFalse();
    }
    ModelProfile m = ModelProfile.preset("llama-3-8b");
    HardwareProfile hw = HardwareProfile.preset("h100-box");
    EngineSetup setup = new EngineSetup(HiCacheConfig.builder().pageSize(64).prefetchPolicy(PrefetchPolicyKind.TIMEOUT).build(), m, hw, 1, m.shape(1, 64),
        64 * 1024, 128 * 1024, hw.prefillNanosPerToken(m, 1), 0, 4, "prefix_affinity", 1024, 40_000 * 64L, "memory");
    EngineResult hashedByReplay, readAhead;
    try (Workload w = closedLoop(trace(head))) {
      hashedByReplay = new EngineReplay(setup).run(w, null);
    }
    try (Workload w = trace(head)) {
      readAhead = new EngineReplay(setup).run(w, null);
    }
    assertThat(hashedByReplay.hits().storageTokens()).as("the run must use L3 for this to mean anything").isPositive();
    assertThat(summary(readAhead)).isEqualTo(summary(hashedByReplay));
  }
}
