package dev.hicache.simulator.cli;

import static dev.hicache.simulator.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hicache.simulator.cli.MainTest.Run;
import dev.hicache.simulator.report.HtmlReport;
import dev.hicache.simulator.report.Provenance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report as a file: well-formed, self-contained, its summary equal to the run's JSON,
 * every chart section there, and what it takes to reproduce the run (docs/simulator.md#the-report).
 */
class HtmlReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SINGLE_RUN_SECTIONS = List.of("summary", "reproduce", "ttft-cdf",
      "hit-by-tier-over-time", "occupancy", "bytes-per-link", "prefetch");
  private static final Set<String> VOID = Set.of("meta", "br", "hr", "img", "input", "link");
  private static final Pattern TAG = Pattern.compile(
      "<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*=\"[^\"<]*\")*)\\s*(/?)>");

  /** 30 requests 10 s apart over five shared prefixes: every tier and the L3 link get used. */
  static Path trace(Path dir) throws IOException {
    Path t = dir.resolve("t.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      sb.append("{\"timestamp\":").append(i * 10_000).append(",\"input_length\":2000,\"output_length\":5,"
          + "\"hash_ids\":[0,").append(1 + i % 5).append(",").append(10 + i).append(",").append(100 + i).append("]}\n");
    }
    Files.writeString(t, sb.toString());
    return t;
  }

  private static List<String> engineArgs(Path trace, String... more) {
    List<String> a = new ArrayList<>(List.of("simulate", "--trace", trace.toString(), "--instances", "2",
        "--l1-capacity-tokens", "4096", "--l2-capacity-tokens", "8192", "--l3-capacity-tokens", "100000",
        "--format", "json"));
    a.addAll(List.of(more));
    return a;
  }

  @Test void oneRun_summaryEqualsTheJson_everySection_selfContained_reproducible(@TempDir Path dir)
      throws Exception {
    Path t = trace(dir);
    Path html = dir.resolve("r.html");
    List<String> args = engineArgs(t, "--report", html.toString());
    Run r = run(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    String page = Files.readString(html);
    assertWellFormed(page);
    assertSelfContained(page);

    // Every summary cell holds the JSON's value exactly (text for text), and ratios and times read as printed.
    for (String key : HtmlReport.summaryKeys()) {
      String json = jsonText(r.out(), key);
      String cell = summaryCell(page, key);
      assertThat(cellValue(cell)).as(key).isEqualTo(json);
      if (key.endsWith("_ratio") || key.endsWith("_ms")) assertThat(cellText(cell)).as(key).isEqualTo(json);
    }
    assertThat(jsonText(r.out(), "l3_read_bytes")).isNotEqualTo("0"); // the L3 link was used

    for (String id : SINGLE_RUN_SECTIONS) assertThat(count(page, "<section id=\"" + id + "\"")).as(id).isEqualTo(1);
    for (String id : List.of("ttft-cdf", "hit-by-tier-over-time", "occupancy", "bytes-per-link", "prefetch")) {
      assertThat(section(page, id)).as(id).contains("<svg");
    }
    // The CDF: all requests, and the groups by tier of hit that add up to them.
    String cdf = section(page, "ttft-cdf");
    assertThat(cdf).contains("all: 30 requests");
    Matcher m = Pattern.compile("(L1|L2|L3|no hit): ([0-9,]+) requests").matcher(cdf);
    int grouped = 0;
    while (m.find()) grouped += Integer.parseInt(m.group(2).replace(",", ""));
    assertThat(grouped).isEqualTo(30);
    assertThat(section(page, "hit-by-tier-over-time")).contains("<polygon", "L1 (device)", "L2 (host)", "L3 (storage)");
    assertThat(section(page, "occupancy")).contains("L1 held", "L1 capacity", "L2 held", "stroke-dasharray",
        "L3 occupancy over time", "L3 held", "L3 capacity");
    assertThat(section(page, "prefetch")).contains("ended: complete");

    // How to reproduce it: the command line as given, the version, the trace's SHA-256.
    assertThat(page).contains("<pre id=\"command-line\">"
        + esc(Provenance.commandLine("./hicache", args)) + "</pre>");
    assertThat(page).contains("--trace " + t, "--report " + html);
    assertThat(page).containsPattern("<dd id=\"version\">hicache [^<]+ on Java [^<]+</dd>");
    assertThat(page).contains("SHA-256 " + sha256(Files.readAllBytes(t)) + " of the trace " + t.toAbsolutePath()
        + " (" + Files.size(t) + " bytes)");
  }

  @Test void categoricalSweep_bars_summaryRowsEqualTheJson(@TempDir Path dir) throws Exception {
    Path html = dir.resolve("c.html");
    Run r = run(engineArgs(trace(dir), "--sweep", "hicache-write-policy=write_through,write_back",
        "--report", html.toString()).toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    String page = Files.readString(html);
    assertWellFormed(page);
    assertSelfContained(page);
    for (String id : List.of("sweep-hit-ratio", "sweep-ttft")) {
      assertThat(section(page, id)).as(id).contains("<rect").doesNotContain("<polyline");
    }
    // One CDF curve per value.
    assertThat(count(section(page, "ttft-cdf"), "<polyline")).isEqualTo(2);
    assertThat(section(page, "ttft-cdf")).contains("write_through: p50", "write_back: p50");

    JsonNode runs = JSON.readTree(r.out());
    assertThat(runs.size()).isEqualTo(2);
    String table = section(page, "summary");
    String[] rows = table.split("<tr><td>");
    assertThat(rows).hasSize(3); // the header, then one row per value
    for (int i = 0; i < 2; i++) {
      JsonNode run = runs.get(i);
      assertThat(rows[i + 1]).startsWith(run.get("hicache-write-policy").asText() + "</td>");
      for (String key : HtmlReport.summaryKeys()) {
        String value = cellValue(summaryCell(rows[i + 1], key));
        if (run.get(key).isNull()) {
          assertThat(value).as(key).isEqualTo("null");
        } else {
          assertThat(Double.parseDouble(value)).as(key).isEqualTo(run.get(key).asDouble());
        }
      }
    }
    // Over time, per value: behind a <details> each, every id unique.
    assertThat(page).contains("id=\"occupancy-1\"", "id=\"occupancy-2\"");
  }

  @Test void numericSweep_lines(@TempDir Path dir) throws Exception {
    Path html = dir.resolve("n.html");
    Run r = run(engineArgs(trace(dir), "--sweep", "l3-capacity-tokens=3200,64000,100000", "--report",
        html.toString()).toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    String page = Files.readString(html);
    assertWellFormed(page);
    for (String id : List.of("sweep-hit-ratio", "sweep-ttft")) {
      // The values on a numeric (log) axis, labelled as given.
      assertThat(section(page, id)).as(id).contains("<polyline", ">3200<", ">64000<", ">100000<", "log scale")
          .doesNotContain("<rect");
    }
    assertThat(count(section(page, "ttft-cdf"), "<polyline")).isEqualTo(3);
  }

  @Test void generatedWorkload_checksumOfItsParameters_perValueWhenTheSweepChangesThem(@TempDir Path dir)
      throws Exception {
    Path html = dir.resolve("m.html");
    Run r = run("simulate", "--workload", "multiturn", "--num-clients", "4", "--num-rounds", "3",
        "--request-length", "256", "--output-length", "16", "--l1-capacity-tokens", "4096", "--report",
        html.toString(), "--sweep", "seed=1,2");
    assertThat(r.code()).as(r.err()).isZero();
    String page = Files.readString(html);
    assertWellFormed(page);
    Matcher m = Pattern.compile("<dd class=\"input\">SHA-256 ([0-9a-f]{64}) of the generated workload's parameters: "
        + "([^<]+)</dd>").matcher(page);
    List<String> texts = new ArrayList<>();
    while (m.find()) {
      String text = unesc(m.group(2));
      assertThat(m.group(1)).isEqualTo(sha256(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      texts.add(text);
    }
    assertThat(texts).hasSize(2);
    assertThat(texts.get(0)).startsWith("multiturn Params[clients=4, rounds=3, requestLength=256,").endsWith("seed=1]");
    assertThat(texts.get(1)).endsWith("seed=2]");
    // Rounds compared across the values, one line each.
    assertThat(count(section(page, "per-group"), "<polyline")).isGreaterThanOrEqualTo(2);

    Run one = run("simulate", "--workload", "multiturn", "--num-clients", "4", "--num-rounds", "3",
        "--request-length", "256", "--output-length", "16", "--l1-capacity-tokens", "4096", "--report",
        html.toString());
    assertThat(one.code()).as(one.err()).isZero();
    String single = Files.readString(html);
    assertWellFormed(single);
    assertThat(count(single, "<dd class=\"input\">")).isEqualTo(1);
    // A round's hit ratio by tier, stacked.
    assertThat(section(single, "per-group")).contains("<rect", "round");
  }

  @Test void l1Only_summaryEqualsTheJson_noTimingCharts(@TempDir Path dir) throws Exception {
    Path html = dir.resolve("l1.html");
    Run r = run("simulate", "--l1-only", "--trace", trace(dir).toString(), "--l1-capacity-tokens", "4096",
        "--format", "json", "--report", html.toString());
    assertThat(r.code()).as(r.err()).isZero();
    String page = Files.readString(html);
    assertWellFormed(page);
    assertSelfContained(page);
    for (String key : List.of("token_hit_ratio", "requests", "input_tokens", "cached_tokens", "evicted_pages")) {
      assertThat(cellValue(summaryCell(page, key))).as(key).isEqualTo(jsonText(r.out(), key));
    }
    assertThat(page).doesNotContain("id=\"ttft-cdf\"").contains("id=\"reproduce\"");
  }

  /** The checker itself: it finds an unclosed element, a stray closing tag and an unescaped '<'. */
  @Test void wellFormedCheck_findsBrokenMarkup() {
    String ok = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body><p>a &amp; b</p></body></html>\n";
    assertWellFormed(ok);
    for (String bad : List.of(ok.replace("</p>", ""), ok.replace("<p>", "<p></div>"), ok.replace("a &amp; b", "a < b"),
        ok.replace("a &amp; b", "a & b"))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> assertWellFormed(bad)).isInstanceOf(AssertionError.class);
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Every tag is well-formed and closed in order (void elements and self-closing SVG ones aside); no stray '<' or '&'. */
  static void assertWellFormed(String html) {
    assertThat(html).startsWith("<!DOCTYPE html>\n<html").endsWith("</html>\n");
    String body = html.substring("<!DOCTYPE html>".length());
    int styleAt = body.indexOf("<style>");
    if (styleAt >= 0) {
      int end = body.indexOf("</style>", styleAt);
      assertThat(body.substring(styleAt + 7, end)).as("style").doesNotContain("<");
      body = body.substring(0, styleAt + 7) + body.substring(end);
    }
    Deque<String> open = new ArrayDeque<>();
    Matcher m = TAG.matcher(body);
    int at = 0;
    while (at < body.length()) {
      int lt = body.indexOf('<', at);
      String text = body.substring(at, lt < 0 ? body.length() : lt);
      assertThat(text).as("text before offset " + lt).doesNotContain(">")
          .doesNotContainPattern("&(?!amp;|lt;|gt;|quot;|#[0-9]+;)");
      if (lt < 0) break;
      assertThat(m.find(lt) && m.start() == lt).as("a well-formed tag at offset " + lt + ": "
          + body.substring(lt, Math.min(body.length(), lt + 60))).isTrue();
      String name = m.group(2).toLowerCase(java.util.Locale.ROOT);
      if (m.group(1).equals("/")) {
        assertThat(open).as("closing </" + name + "> at " + lt).isNotEmpty();
        assertThat(open.pop()).as("closing </" + name + "> at " + lt).isEqualTo(name);
      } else if (m.group(4).isEmpty() && !VOID.contains(name)) {
        open.push(name);
      }
      at = m.end();
    }
    assertThat(open).as("elements never closed").isEmpty();
  }

  /** Nothing fetched, nothing run: no network address, script, stylesheet link, import or external font. */
  static void assertSelfContained(String html) {
    assertThat(html).doesNotContain("http://", "https://", "<script", "<link", "@import", "url(", "@font-face",
        " src=", " href=");
  }

  private static String jsonText(String json, String key) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(null|-?[0-9][0-9.eE+-]*|\"[^\"]*\")").matcher(json);
    assertThat(m.find()).as(key + " in " + json).isTrue();
    return m.group(1);
  }

  private static String summaryCell(String html, String key) {
    Matcher m = Pattern.compile("<td data-key=\"" + Pattern.quote(key) + "\"[^>]*>[^<]*</td>").matcher(html);
    assertThat(m.find()).as("summary cell " + key).isTrue();
    return m.group();
  }

  private static String cellValue(String cell) {
    Matcher m = Pattern.compile("data-value=\"([^\"]*)\"").matcher(cell);
    assertThat(m.find()).isTrue();
    return unesc(m.group(1));
  }

  private static String cellText(String cell) {
    return unesc(cell.substring(cell.indexOf('>') + 1, cell.lastIndexOf("</td>")));
  }

  private static String section(String html, String id) {
    int from = html.indexOf("<section id=\"" + id + "\"");
    assertThat(from).as("section " + id).isNotNegative();
    return html.substring(from, html.indexOf("</section>", from));
  }

  private static int count(String s, String part) {
    int n = 0;
    for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) n++;
    return n;
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String unesc(String s) {
    return s.replace("&quot;", "\"").replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&");
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
