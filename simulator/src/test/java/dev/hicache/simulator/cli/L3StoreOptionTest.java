package dev.hicache.simulator.cli;

import static dev.hicache.simulator.cli.MainTest.concat;
import static dev.hicache.simulator.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hicache.simulator.cli.MainTest.Run;
import org.junit.jupiter.api.Test;

/**
 * {@code --l3-store}: the embedded store's LRU model (the default) and the store itself give the
 * same run. The L3 here holds 625 pages and the run writes well over twice as many, so it fills,
 * evicts and serves hits, and its results move with a single page of L3 capacity (40,064 tokens
 * instead of 40,000 change the L3 hit ratio); the whole JSON is compared but for the note that
 * names what ran and the wall-clock figures.
 */
class L3StoreOptionTest {
  private static final String[] RUN = {"simulate", "--workload", "multiturn", "--num-clients", "24", "--num-rounds", "8",
      "--request-length", "1024", "--sub-question-input-length", "512", "--output-length", "64", "--instances", "2",
      "--l1-capacity-tokens", "8192", "--l2-capacity-tokens", "16384", "--l3-capacity-tokens", "40000", "--format",
      "json", "--no-report"};

  private static ObjectNode json(Run r) throws Exception {
    assertThat(r.code()).as(r.err()).isZero();
    return (ObjectNode) new ObjectMapper().readTree(r.out());
  }

  private static ObjectNode results(ObjectNode n) {
    ObjectNode c = n.deepCopy();
    c.remove(java.util.List.of("note", "wall_seconds", "page_events_per_second"));
    return c;
  }

  @Test
  void model_andRealStore_giveTheSameRun() throws Exception {
    ObjectNode model = json(run(RUN));
    ObjectNode real = json(run(concat(RUN, "--l3-store", "real")));
    assertThat(model.get("l3_hit_ratio").asDouble()).as("the L3 serves hits").isPositive();
    long pageBytes = model.get("kv_bytes_per_token").asLong() * model.get("page_size").asLong();
    assertThat(model.get("l3_write_bytes").asLong() / pageBytes).as("pages written: well over the 625 L3 holds")
        .isGreaterThan(2 * 625);
    assertThat(results(model)).isEqualTo(results(real));
    assertThat(model.get("note").asText()).contains("exact LRU model").contains("--l3-store real");
    assertThat(real.get("note").asText()).contains("the store itself").doesNotContain("LRU model");
    assertThat(results(json(run(concat(RUN, "--l3-store", "model"))))).isEqualTo(results(model));
  }

  @Test
  void wTinyLfu_runsTheRealStore_andTheModelIsRefusedForIt() throws Exception {
    ObjectNode w = json(run(concat(RUN, "--l3-eviction", "w-tinylfu")));
    assertThat(w.get("note").asText()).contains("w-tinylfu eviction, the store itself");
    Run bad = run(concat(RUN, "--l3-eviction", "w-tinylfu", "--l3-store", "model"));
    assertThat(bad.code()).isEqualTo(64);
    assertThat(bad.err()).contains("--l3-store").contains("'model'").contains("w-tinylfu");
  }

  @Test
  void l3Store_refusesOtherBackendsAndUnknownNames() {
    Run memory = run(concat(RUN, "--l3", "memory", "--l3-store", "real"));
    assertThat(memory.code()).isEqualTo(64);
    assertThat(memory.err()).contains("--l3-store").contains("only --l3 local");
    Run bogus = run(concat(RUN, "--l3-store", "fast"));
    assertThat(bogus.code()).isEqualTo(64);
    assertThat(bogus.err()).contains("--l3-store").contains("'fast'").contains("model or real");
  }
}
