package dev.hicache.simulator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.simulator.SharedData;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  static double hitRatio(String json) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"token_hit_ratio\":([0-9.]+)").matcher(json);
    assertThat(m.find()).as(json).isTrue();
    return Double.parseDouble(m.group(1));
  }

  static String range(int from, int toExclusive) {
    return IntStream.range(from, toExclusive).mapToObj(Integer::toString).collect(Collectors.joining(","));
  }

  // ---- page-keys: vectors from hicache-api's vectors/page-hash-vectors.json

  @Test
  void pageKeys_pageSizeOne_printsTheChain() {
    Run r = run("page-keys", "--page-size", "1", "--tokens", "0,1,2,3,2147483647");
    assertThat(r.code()).isZero();
    assertThat(r.out().lines().toList()).containsExactly(
        "df3f619804a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b81119",
        "53f69ec6a1c7effbd864307243e74feaafa8b26bbdc9d066fe8b22ed64a010bb",
        "a50b91b33b91a230e3b4567831c9cc253151883dbb44c7b7522026eb72237cca",
        "3c1c2168ea076f0037888d7f137f1512d2cdc3f5d42e501d5d426fcc46d21955",
        "b979966ef74606b424ad7776dd5448d53e6bc7f4371676e8ef870894dc313095");
  }

  @Test
  void pageKeys_unsignedEdge_acceptsTheLargestId() {
    Run r = run("page-keys", "--page-size", "1", "--tokens", "4294967295, 2147483648");
    assertThat(r.out().lines().toList()).containsExactly(
        "ad95131bc0b799c0b1af477fb14fcf26a6a9f76079e48bf090acb7e8367bfd0e",
        "1f5d91f54f99c91c22ac9d5eb258f8fa9fe04e6ddb926c3e6d42aa7587d46c5f");
  }

  @Test
  void pageKeys_partialTail_getsNoKey() {
    Run r = run("page-keys", "--page-size", "16", "--tokens", range(1000, 1050));
    assertThat(r.out().lines().toList()).containsExactly(
        "4faa8bd53eda3d89d365baa1cce7abcbe618600132b7664d8cccf18db778a47c",
        "fc228fb55a288afeb5f7d93117caa44931dc430d6ecf7fcfa3c029ac60e0c6b6",
        "d89fe919b1475da7a1ced674ea138aee70cf92b93a3646326812ba5bf683920a");
  }

  @Test
  void pageKeys_extraKey_seedsTheChain() {
    Run r = run("page-keys", "--extra-key", "lora-7", "--tokens", range(0, 128));
    assertThat(r.out().lines().toList()).containsExactly(
        "f1a7f536653e45ec43f6e65edb5d9758e3079b6691f1b0750478fa9eee3782b7",
        "62d2f0b5b895ec4b4b37a00960ec737175ab6088f9b59dee0d8971052039a3ce");
  }

  @Test
  void pageKeys_explicitPrior_winsOverTheSeed() {
    Run r = run("page-keys", "--extra-key", "lora-7", "--tokens", range(64, 128),
        "--prior", "fea7b32778ecbdd7adee1941e98c89cf96bbc762f5f1beb0be24e36a456fbbc5");
    assertThat(r.out().lines().toList()).containsExactly(
        "1617a7384eff5e9135098c24794739af884859cdb17c1a61a834e8d6ac997351");
  }

  @Test
  void pageKeys_badToken_namesTheValueAndPosition() {
    Run r = run("page-keys", "--tokens", "1,2,x3,4");
    assertThat(r.code()).isEqualTo(Main.EX_USAGE);
    assertThat(r.err()).contains("--tokens").contains("token 3 of 4").contains("'x3'");
    assertThat(r.out()).isEmpty();
    Run big = run("page-keys", "--tokens", "4294967296");
    assertThat(big.code()).isEqualTo(Main.EX_USAGE);
    assertThat(big.err()).contains("token 1 of 1 is '4294967296'").contains("0..4294967295");
    assertThat(run("page-keys", "--tokens", "-1").err()).contains("'-1'");
  }

  @Test
  void pageKeys_emptyPrior_isNoPrior() {
    Run none = run("page-keys", "--tokens", range(0, 128));
    Run empty = run("page-keys", "--tokens", range(0, 128), "--prior", "");
    assertThat(empty.code()).isEqualTo(Main.EX_OK);
    assertThat(empty.out()).isEqualTo(none.out()).isNotEmpty();
  }

  @Test
  void pageKeys_badPrior_namesTheFlag() {
    Run r = run("page-keys", "--tokens", "1", "--prior", "abc");
    assertThat(r.code()).isEqualTo(Main.EX_USAGE);
    assertThat(r.err()).contains("--prior").contains("'abc'");
  }

  // ---- usage errors

  @Test
  void badFlagValues_exit64AndNameTheFlagAndValue() {
    Run r = run("simulate", "--page-size", "abc");
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--page-size").contains("abc");

    r = run("simulate", "--page-size", "100");
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--page-size").contains("'100'");

    r = run("simulate", "--l1-capacity-tokens", "lots");
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--l1-capacity-tokens").contains("'lots'");

    r = run("simulate", "--format", "xml");
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--format").contains("xml");

    r = run("simulate", "--radix-eviction-policy", "random");
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--radix-eviction-policy").contains("'random'");

    r = run("simulate", "--no-such-flag");
    assertThat(r.code()).isEqualTo(64);
    assertThat(r.err()).contains("--no-such-flag");

    assertThat(run().code()).isEqualTo(64);
    assertThat(run("frobnicate").code()).isEqualTo(64);
  }

  @Test
  void simulate_missingTrace_namesTheFile(@TempDir Path dir) {
    Run r = run("simulate", "--l1-only", "--trace", dir.resolve("nope.jsonl").toString());
    assertThat(r.code()).isEqualTo(66);
    assertThat(r.err()).contains("--trace").contains("nope.jsonl");
  }

  // ---- simulate

  @Test
  void simulate_malformedLine_stopsWithFileAndLine(@TempDir Path dir) throws IOException {
    Path t = dir.resolve("bad.jsonl");
    Files.writeString(t, "{\"timestamp\":0,\"input_length\":600,\"output_length\":1,\"hash_ids\":[0,1]}\n"
        + "{\"timestamp\":1,\"input_length\":600,\"output_length\":1,\"hash_ids\":[0]}\n");
    Run r = run("simulate", "--l1-only", "--trace", t.toString(), "--format", "json");
    assertThat(r.code()).isEqualTo(Main.EX_DATAERR);
    assertThat(r.err()).contains(t + ":2: hash_ids has 1 entries but input_length 600 needs");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void simulate_json_hasTheDocumentedKeys(@TempDir Path dir) throws IOException {
    Path t = dir.resolve("t.jsonl");
    Files.writeString(t, "{\"timestamp\":0,\"input_length\":1024,\"output_length\":1,\"hash_ids\":[0,1]}\n".repeat(2));
    Run r = run("simulate", "--l1-only", "--trace", t.toString(), "--page-size", "64",
        "--l1-capacity-tokens", "inf", "--format", "json");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("\"requests\":2", "\"input_tokens\":2048", "\"cached_tokens\":960",
        "\"token_hit_ratio\":0.46875", "\"capacity_tokens\":null", "\"wall_seconds\":");
    Run text = run("simulate", "--l1-only", "--trace", t.toString(), "--l1-capacity-tokens", "1k");
    assertThat(text.out()).contains("token hit ratio", "1,000 tokens (15 pages)");
  }

  @Test
  void simulate_l1OnlyDefaults_onTheConversationTrace_areThreeMillionTokens() {
    Run r = run("simulate", "--l1-only", "--trace", SharedData.conversationTrace().toString(), "--format", "json");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("\"requests\":12031", "\"token_hit_ratio\":0.14139",
        "\"capacity_tokens\":3000000");
  }

  @Test
  void simulate_engine_reportsTiersAndTtft(@TempDir Path dir) throws IOException {
    Path t = dir.resolve("t.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      sb.append("{\"timestamp\":").append(i * 1000).append(",\"input_length\":1100,\"output_length\":5,"
          + "\"hash_ids\":[0,").append(1 + i % 4).append(",").append(10 + i % 4).append("]}\n");
    }
    Files.writeString(t, sb.toString());
    Run r = run("simulate", "--trace", t.toString(), "--l1-capacity-tokens", "2048", "--l2-capacity-tokens", "8192",
        "--instances", "1", "--l3-capacity-tokens", "0", "--format", "json", "--no-report");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"tiers\":\"L1+L2\"", "\"requests\":20", "\"input_tokens\":22000",
        "\"l2_hit_ratio\":", "\"ttft_p99_ms\":", "\"queue_p99_ms\":", "\"prefetch_wait_mean_ms\":");
    assertThat(r.out()).doesNotContain("\"l2_hit_ratio\":0.00000"); // the host tier served some hits
    // Queueing is part of TTFT: never more than it.
    assertThat(jsonNumber(r.out(), "queue_mean_ms")).isLessThanOrEqualTo(jsonNumber(r.out(), "ttft_mean_ms"));
    assertThat(jsonNumber(r.out(), "queue_p99_ms")).isLessThanOrEqualTo(jsonNumber(r.out(), "ttft_p99_ms"));
    Run csv = run("simulate", "--trace", t.toString(), "--l1-capacity-tokens", "2048", "--l2-capacity-tokens", "0",
        "--format", "csv", "--no-report");
    assertThat(csv.out().lines().toList()).hasSize(2);
    assertThat(csv.out()).contains("token_hit_ratio", ",L1,");
    // Four conversations over three instances: prefix affinity keeps each on one instance.
    Run affinity = run("simulate", "--trace", t.toString(), "--instances", "3", "--routing", "prefix_affinity",
        "--l3-capacity-tokens", "0", "--format", "json", "--no-report");
    Run roundRobin = run("simulate", "--trace", t.toString(), "--instances", "3", "--routing", "round_robin",
        "--l1-capacity-tokens", "100000", "--l3-capacity-tokens", "0", "--format", "json", "--no-report");
    assertThat(affinity.out()).contains("\"instances\":3", "\"routing\":\"prefix_affinity\"");
    assertThat(hitRatio(affinity.out())).isGreaterThan(hitRatio(roundRobin.out()));
  }

  @Test
  void simulate_engineBadValues_exit64AndNameTheFlag() {
    assertThat(run("simulate", "--model", "gpt-9").err()).contains("--model").contains("'gpt-9'").contains("llama-3-8b");
    assertThat(run("simulate", "--hardware", "tpu").err()).contains("--hardware").contains("'tpu'");
    assertThat(run("simulate", "--l1-capacity-tokens", "1000", "--l2-capacity-tokens", "500").err())
        .contains("--l2-capacity-tokens").contains("'500'");
    assertThat(run("simulate", "--hicache-write-policy", "sometimes").code()).isEqualTo(64);
    assertThat(run("simulate", "--arrivals", "later").err()).contains("--arrivals");
    assertThat(run("simulate", "--model", "llama-3-70b", "--tp", "1").err()).contains("--model").contains("raise --tp");
  }

  @Test
  void simulate_sweep_printsOneTableAndWritesTheHtmlReport(@TempDir Path dir) throws IOException {
    Path html = dir.resolve("r.html");
    Run r = run("simulate", "--l1-only", "--trace", SharedData.conversationTrace().toString(), "--sweep",
        "l1-capacity-tokens=1M,3M,inf", "--report", html.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("sweep of --l1-capacity-tokens", "0.05448", "0.14139", "0.37359", "report: ");
    String page = Files.readString(html);
    // inf is no number: the capacities are categories, drawn as bars.
    assertThat(page).startsWith("<!DOCTYPE html>").contains("<svg", "<rect", "--l1-capacity-tokens")
        .doesNotContain("<script", "src=\"http", "href=\"http", "@import");
  }

  @Test
  void simulate_multiturn_reportsPerRound(@TempDir Path dir) {
    Path html = dir.resolve("mt.html");
    Run r = run("simulate", "--workload", "multiturn", "--num-clients", "16", "--num-rounds", "3",
        "--request-length", "256", "--output-length", "16", "--l1-capacity-tokens", "4096", "--report", html.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("bench_multiturn: 16 clients x 3 rounds", "per round");
    assertThat(Files.exists(html)).isTrue();
  }

  /** The report's bytes-per-link chart has the L3 link beside PCIe when an L3 was written. */
  @Test
  void simulate_report_chartsL3BytesOverTime(@TempDir Path dir) throws IOException {
    Path t = HtmlReportTest.trace(dir);
    Path html = dir.resolve("r.html");
    Run r = run("simulate", "--trace", t.toString(), "--instances", "2", "--l1-capacity-tokens", "4096",
        "--l2-capacity-tokens", "8192", "--l3-capacity-tokens", "100000", "--report", html.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(html)).contains("Bytes per link over time", "PCIe D→H", "L3 write",
        "L3 read");
  }

  @Test
  void simulate_badSweep_namesTheFlag(@TempDir Path dir) throws IOException {
    assertThat(run("simulate", "--sweep", "nonsense").err()).contains("--sweep").contains("'nonsense'");
    assertThat(run("simulate", "--sweep", "frob=1,2").err()).contains("--frob is not a simulate option");
    assertThat(run("simulate", "--l1-only", "--trace", OutputSchemaTest.trace(dir).toString(), "--sweep",
        "l1-capacity-tokens=1M,lots").err()).contains("--sweep").contains("'lots'");
    assertThat(run("simulate", "--workload", "multiturn", "--num-clients", "0", "--no-report").err())
        .contains("--num-clients");
  }

  @Test
  void simulate_withL3_servesWhatL1AndL2HaveEvicted(@TempDir Path dir) throws IOException {
    Path t = dir.resolve("t.jsonl");
    StringBuilder sb = new StringBuilder();
    // Conversation 1, then six others that push it out of L1 and L2, then conversation 1 again:
    // only L3 can serve it the second time.
    int[] order = {1, 2, 3, 4, 5, 6, 7, 1};
    for (int i = 0; i < order.length; i++) {
      int c = order[i];
      sb.append("{\"timestamp\":").append(i * 10_000).append(",\"input_length\":4000,\"output_length\":5,\"hash_ids\":[");
      for (int b = 0; b < 8; b++) sb.append(b == 0 ? "" : ",").append(c * 100 + b);
      sb.append("]}\n");
    }
    Files.writeString(t, sb.toString());
    String[] common = {"simulate", "--trace", t.toString(), "--instances", "1", "--l1-capacity-tokens", "8192",
        "--l2-capacity-tokens", "16384", "--hicache-storage-prefetch-policy", "wait_complete", "--format", "json",
        "--no-report"};
    Run withL3 = run(concat(common, "--l3-capacity-tokens", "100000"));
    assertThat(withL3.code()).as(withL3.err()).isZero();
    assertThat(withL3.out()).contains("\"tiers\":\"L1+L2+L3\"", "\"l3_backend\":\"local\""); // the default
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"l3_hit_ratio\":([0-9.]+)").matcher(withL3.out());
    assertThat(m.find()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).as(withL3.out()).isPositive();
    Run noL3 = run(concat(common, "--l3-capacity-tokens", "0"));
    assertThat(hitRatio(withL3.out())).isGreaterThan(hitRatio(noL3.out()));
    assertThat(run("simulate", "--l3", "s3", "--no-report").err()).contains("--l3").contains("'s3'");
    // The same run on the in-memory LRU model, and on the embedded store with each eviction: the page only L3
    // can serve is served by every one (W-TinyLFU too: the store holds far more than these pages).
    for (String[] backend : new String[][] {{"--l3", "memory"}, {"--l3-eviction", "lru"}, {"--l3-eviction", "w-tinylfu"}}) {
      Run other = run(concat(concat(common, "--l3-capacity-tokens", "100000"), backend));
      assertThat(other.code()).as(other.err()).isZero();
      assertThat(hitRatio(other.out())).as(String.join(" ", backend)).isEqualTo(hitRatio(withL3.out()));
    }
    Run bad = run("simulate", "--l3-eviction", "fifo", "--no-report");
    assertThat(bad.code()).isEqualTo(64);
    assertThat(bad.err()).contains("--l3-eviction").contains("'fifo'").contains("lru");
  }

  @Test
  void simulate_prepopulateL3_usesTheEmbeddedStoreByDefault() {
    // bench_multiturn's follow-up and answer lengths: every turn fits the 4,096-token L1, so all are cached.
    Run r = run("simulate", "--workload", "multiturn", "--num-clients", "8", "--num-rounds", "2", "--request-length",
        "1024", "--sub-question-input-length", "1024", "--output-length", "64", "--instances", "1",
        "--l1-capacity-tokens", "4096", "--l2-capacity-tokens", "8192", "--prepopulate-l3", "--format", "json",
        "--no-report");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"l3_backend\":\"local\"");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"l3_hit_ratio\":([0-9.]+)").matcher(r.out());
    assertThat(m.find()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).as("the second run finds the first run's pages in L3").isGreaterThan(0.5);
  }

  static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static double jsonNumber(String json, String key) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + key + "\":(-?[0-9.]+)").matcher(json);
    assertThat(m.find()).as(key + " in " + json).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
