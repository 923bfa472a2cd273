package dev.hicache.simulator.report;

import dev.hicache.simulator.engine.EngineReplay;
import dev.hicache.simulator.engine.EngineResult;
import dev.hicache.simulator.engine.EngineResult.Interval;
import dev.hicache.simulator.engine.TtftCdf;
import dev.hicache.simulator.report.Charts.Series;
import dev.hicache.simulator.report.Charts.XAxis;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A self-contained HTML report (docs/simulator.md#the-report): one file with its style and inline
 * SVG charts, no scripts, nothing fetched. At the top the summary (the numbers of {@code --format
 * json}, each cell carrying its key and exact value) and how to reproduce the run; then TTFT's
 * CDF, hit ratio by tier and tier occupancy over time, bytes per link, prefetch outcomes and, for
 * a multi-turn workload, the rounds. A sweep compares its runs: categorical values (policies) as
 * bars, numeric ones (sizes, rates) as lines, one TTFT curve per value.
 */
public final class HtmlReport {
  private HtmlReport() {}

  /** Tiers' colours by the names {@link TtftCdf} uses. */
  private static final Map<String, String> TIER_COLORS = Map.of("L1", Charts.L1, "L2", Charts.L2, "L3", Charts.L3,
      "miss", Charts.MISS);

  /** A kind of summary cell: how its value is shown (its exact JSON value is always in data-value). */
  private enum Kind { AS_IS, TOKENS, BYTES }

  private record Cell(String title, String key, Kind kind) {}

  private record Group(String title, List<Cell> cells) {}

  private static final List<Group> ENGINE_SUMMARY = List.of(
      new Group("token hit ratio", List.of(new Cell("total", "token_hit_ratio", Kind.AS_IS),
          new Cell("L1", "l1_hit_ratio", Kind.AS_IS), new Cell("L2", "l2_hit_ratio", Kind.AS_IS),
          new Cell("L3", "l3_hit_ratio", Kind.AS_IS))),
      new Group("TTFT (ms)", List.of(new Cell("p50", "ttft_p50_ms", Kind.AS_IS), new Cell("p90", "ttft_p90_ms", Kind.AS_IS),
          new Cell("p99", "ttft_p99_ms", Kind.AS_IS), new Cell("mean", "ttft_mean_ms", Kind.AS_IS))),
      new Group("queueing (ms)", List.of(new Cell("p50", "queue_p50_ms", Kind.AS_IS),
          new Cell("p90", "queue_p90_ms", Kind.AS_IS), new Cell("p99", "queue_p99_ms", Kind.AS_IS),
          new Cell("mean", "queue_mean_ms", Kind.AS_IS), new Cell("L3 prefetch wait, mean", "prefetch_wait_mean_ms",
              Kind.AS_IS))),
      new Group("prefill tokens", List.of(new Cell("saved", "prefill_tokens_saved", Kind.TOKENS),
          new Cell("computed", "prefill_tokens_computed", Kind.TOKENS))),
      new Group("bytes per link", List.of(new Cell("PCIe D→H", "d2h_bytes", Kind.BYTES),
          new Cell("PCIe H→D", "h2d_bytes", Kind.BYTES), new Cell("L3 read", "l3_read_bytes", Kind.BYTES),
          new Cell("L3 write", "l3_write_bytes", Kind.BYTES))));

  private static final List<Group> L1_ONLY_SUMMARY = List.of(
      new Group("L1-only replay", List.of(new Cell("token hit ratio", "token_hit_ratio", Kind.AS_IS),
          new Cell("requests", "requests", Kind.TOKENS), new Cell("input tokens", "input_tokens", Kind.TOKENS),
          new Cell("cached tokens", "cached_tokens", Kind.TOKENS), new Cell("evicted pages", "evicted_pages", Kind.TOKENS))));

  /** The keys of the summary table of an engine run, in order (tests compare them with the JSON output). */
  public static List<String> summaryKeys() {
    List<String> keys = new ArrayList<>();
    for (Group g : ENGINE_SUMMARY) for (Cell c : g.cells()) keys.add(c.key());
    return keys;
  }

  /** The report without a reproduction section (no command line known). */
  public static String render(List<? extends RunView> runs, String sweepKey, List<String> values) {
    return render(runs, sweepKey, values, null);
  }

  /**
   * @param sweepKey the swept flag without {@code --}, or null for one run
   * @param values the swept values as given, one per run
   * @param provenance the command line, version and inputs; null leaves the section out
   */
  public static String render(List<? extends RunView> runs, String sweepKey, List<String> values,
      Provenance provenance) {
    boolean sweep = sweepKey != null && runs.size() > 1;
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) labels.add(sweepKey == null ? "this run" : values.get(i).strip());
    RunView first = runs.get(0);
    boolean engine = first.engine() != null;

    StringBuilder b = new StringBuilder(65_536);
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>HiCache simulation report</title>\n")
        .append("<style>\n")
        .append("body{font:14px/1.45 system-ui,sans-serif;margin:20px auto;max-width:1120px;padding:0 16px;color:#222}\n")
        .append("h1{margin:0 0 4px}h2{margin:28px 0 4px;font-size:18px}h3{font-size:15px;margin:14px 0 4px}\n")
        .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}\n")
        .append("th{background:#f3f3f3;font-weight:600}td:first-child,th:first-child{text-align:left}\n")
        .append("table.summary td{font-variant-numeric:tabular-nums}table.summary tr.sub th{background:#fafafa;")
        .append("font-weight:normal;color:#555}table.summary.wide{font-size:12px}table.wide td,table.wide th{padding:3px 4px}.scroll{overflow-x:auto}\n")
        .append("svg{display:block;margin:4px 0 8px}.what{color:#555;margin:2px 0 6px;max-width:1000px}\n")
        .append(".note{color:#666;font-size:13px}pre{background:#f6f6f6;padding:8px 10px;white-space:pre-wrap;")
        .append("word-break:break-all;margin:4px 0}dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;")
        .append("margin:6px 0}dt{color:#555}dd{margin:0;word-break:break-all}details{margin:10px 0}")
        .append("summary{cursor:pointer;font-weight:600}\n</style></head><body>\n");
    b.append("<h1>HiCache simulation report</h1>\n");
    Object workload = first.fields().get("workload");
    if (workload == null) workload = first.fields().get("trace");
    if (workload != null) b.append("<p>Workload: ").append(esc(String.valueOf(workload))).append("</p>\n");
    b.append("<p>").append(esc(setup(first.fields()))).append(sweep ? " · <b>--" + esc(sweepKey) + "</b> varies" : "")
        .append("</p>\n");
    Object note = first.fields().get("note");
    if (note != null) b.append("<p class=\"note\">Note: ").append(esc(String.valueOf(note))).append("</p>\n");

    b.append("<section id=\"summary\">\n<h2>Summary</h2>\n");
    List<Group> groups = engine ? ENGINE_SUMMARY : L1_ONLY_SUMMARY;
    b.append(sweep ? wideSummary(runs, groups, sweepKey, labels) : summary(first.fields(), groups));
    b.append(engine ? "<p class=\"what\">The same numbers as <code>--format json</code> prints: hit ratios are shares"
        + " of all prompt tokens (L1 + L2 + L3 = total); TTFT runs from a request's arrival to its first token;"
        + " queueing is the time before its instance takes it up. Bytes are totals over the run and all instances"
        + " (L3 bytes are modelled: pages × KV bytes per page).</p>\n</section>\n"
        : "<p class=\"what\">The same numbers as <code>--format json</code> prints: the device tier alone, in record"
        + " order, without a cost model (no times).</p>\n</section>\n");

    if (provenance != null) b.append(reproduce(provenance, sweep, labels));

    if (engine) {
      if (sweep) {
        b.append(sweepCharts(runs, sweepKey, values));
        b.append(ttftCdf(runs, labels, sweepKey));
        b.append(prefetch(runs, labels));
        b.append(perGroup(runs, labels, sweepKey));
        b.append("<section id=\"over-time\">\n<h2>Over time, per value</h2>\n<p class=\"what\">Each run's hit ratio")
            .append(" by tier, tier occupancy and bytes per link over time (open one).</p>\n");
        for (int i = 0; i < runs.size(); i++) {
          b.append("<details><summary>--").append(esc(sweepKey)).append(' ').append(esc(labels.get(i)))
              .append("</summary>\n").append(overTime(runs.get(i), "-" + (i + 1))).append("</details>\n");
        }
        b.append("</section>\n");
      } else {
        b.append(ttftCdf(runs, labels, null));
        b.append(overTime(first, ""));
        b.append(prefetch(runs, labels));
        b.append(perGroup(runs, labels, null));
      }
    } else if (sweep) {
      b.append(sweepCharts(runs, sweepKey, values));
    }

    b.append("<details id=\"all-fields\"><summary>All fields").append(sweep ? " of every run" : " of the run")
        .append(" (as <code>--format json</code> prints them)</summary>\n").append(table(runs, sweepKey, values))
        .append("</details>\n");
    b.append("<p class=\"note\">Written by <code>./hicache simulate</code> at ")
        .append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(". Every number comes from replaying the")
        .append(" workload through the engine's own code in virtual time; what each chart shows:")
        .append(" docs/simulator.md, section “The report”.</p>\n</body></html>\n");
    return b.toString();
  }

  /** One line on what ran: tiers, model and hardware, instances, policies, capacities. */
  private static String setup(Map<String, Object> f) {
    if (!"engine".equals(f.get("mode"))) {
      return "L1-only replay (no timing): " + f.get("eviction_policy") + ", page size " + f.get("page_size")
          + ", L1 " + (f.get("capacity_tokens") == null ? "unbounded" : tokens(f.get("capacity_tokens")) + " tokens");
    }
    StringBuilder s = new StringBuilder();
    s.append(f.get("tiers")).append(" · ").append(f.get("model")).append(" TP ").append(f.get("tp")).append(" on ")
        .append(f.get("hardware")).append(" · ").append(f.get("instances")).append(" instance")
        .append(Integer.valueOf(1).equals(f.get("instances")) ? "" : "s");
    if (f.get("routing") != null) s.append(" (").append(f.get("routing")).append(')');
    if (!Integer.valueOf(0).equals(f.get("decode_instances"))) s.append(" + ").append(f.get("decode_instances")).append(" decode");
    s.append(" · ").append(f.get("write_policy")).append(", ").append(f.get("eviction_policy")).append(", page ")
        .append(f.get("page_size")).append(" · per instance L1 ").append(tokens(f.get("l1_capacity_tokens")));
    if (!Long.valueOf(0).equals(f.get("l2_capacity_tokens"))) s.append(", L2 ").append(tokens(f.get("l2_capacity_tokens")));
    s.append(" tokens");
    if (f.get("l3_backend") != null) {
      s.append("; L3 ").append(tokens(f.get("l3_capacity_tokens"))).append(" tokens shared (").append(f.get("l3_backend"))
          .append(", prefetch ").append(f.get("prefetch_policy")).append(')');
    }
    return s.toString();
  }

  // ------------------------------------------------------------------ summary

  /** One run: a row per group, its cells under their own small headers. */
  private static String summary(Map<String, Object> f, List<Group> groups) {
    int width = 0;
    for (Group g : groups) width = Math.max(width, g.cells().size());
    StringBuilder b = new StringBuilder("<table class=\"summary\">\n");
    for (Group g : groups) {
      b.append("<tr class=\"sub\"><th></th>");
      for (Cell c : g.cells()) b.append("<th>").append(esc(c.title())).append("</th>");
      b.append("<th></th>".repeat(width - g.cells().size())).append("</tr>\n<tr><th>").append(esc(g.title())).append("</th>");
      for (Cell c : g.cells()) b.append(cell(f, c, false));
      b.append("<td></td>".repeat(width - g.cells().size())).append("</tr>\n");
    }
    return b.append("</table>\n").toString();
  }

  /** A sweep: a row per value, the groups side by side. */
  private static String wideSummary(List<? extends RunView> runs, List<Group> groups, String sweepKey,
      List<String> labels) {
    StringBuilder b = new StringBuilder("<div class=\"scroll\"><table class=\"summary wide\">\n<tr><th rowspan=\"2\">--")
        .append(esc(sweepKey)).append("</th>");
    for (Group g : groups) {
      b.append("<th colspan=\"").append(g.cells().size()).append("\">").append(esc(g.title())).append("</th>");
    }
    b.append("</tr>\n<tr class=\"sub\">");
    for (Group g : groups) {
      for (Cell c : g.cells()) {
        b.append("<th>").append(esc(c.title().replace("L3 prefetch wait, mean", "L3 wait").replace("PCIe ", "")))
            .append("</th>");
      }
    }
    b.append("</tr>\n");
    for (int i = 0; i < runs.size(); i++) {
      b.append("<tr><td>").append(esc(labels.get(i))).append("</td>");
      for (Group g : groups) for (Cell c : g.cells()) b.append(cell(runs.get(i).fields(), c, true));
      b.append("</tr>\n");
    }
    return b.append("</table></div>\n").toString();
  }

  /**
   * A summary cell: shown for reading (counts shortened in a sweep's wide table), with the key and
   * the exact JSON value as attributes, and a tooltip with the exact count where it is shortened.
   */
  private static String cell(Map<String, Object> f, Cell c, boolean compact) {
    Object v = f.get(c.key());
    String shown;
    if (v == null) {
      shown = "–";
    } else {
      shown = switch (c.kind()) {
        case AS_IS -> String.valueOf(v);
        case TOKENS -> compact ? Charts.fmt(((Number) v).doubleValue()) : tokens(v);
        case BYTES -> bytes(((Number) v).longValue());
      };
    }
    String title = v == null || c.kind() == Kind.AS_IS || (c.kind() == Kind.TOKENS && !compact) ? ""
        : " title=\"" + tokens(v) + (c.kind() == Kind.BYTES ? " bytes\"" : " tokens\"");
    return "<td data-key=\"" + esc(c.key()) + "\" data-value=\"" + esc(EngineReport.jsonValue(v)) + "\"" + title + ">"
        + esc(shown) + "</td>";
  }

  private static String tokens(Object v) {
    return v instanceof Number n ? String.format(Locale.ROOT, "%,d", n.longValue()) : String.valueOf(v);
  }

  /** Three significant digits in decimal units (as the text output's GB): 812 B, 3.40 MB, 12.3 GB, 2.09 TB. */
  static String bytes(long b) {
    String[] units = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = b;
    int u = 0;
    while (Math.abs(v) >= 999.5 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    if (u == 0) return b + " B";
    return String.format(Locale.ROOT, v >= 99.95 ? "%.0f %s" : v >= 9.995 ? "%.1f %s" : "%.2f %s", v, units[u]);
  }

  // ------------------------------------------------------------------ reproduce

  private static String reproduce(Provenance p, boolean sweep, List<String> labels) {
    StringBuilder b = new StringBuilder("<section id=\"reproduce\">\n<h2>Reproduce</h2>\n")
        .append("<p class=\"what\">The run is deterministic: the same command line, version and input give the same")
        .append(" numbers (the wall time aside).</p>\n<pre id=\"command-line\">").append(esc(p.commandLine()))
        .append("</pre>\n<dl>\n<dt>run in</dt><dd>").append(esc(p.workingDirectory())).append("</dd>\n")
        .append("<dt>version</dt><dd id=\"version\">").append(esc(p.version())).append("</dd>\n");
    // One line when every run read the same input (a sweep of anything but the workload's own flags).
    List<String> distinct = new ArrayList<>(new LinkedHashSet<>(p.inputs()));
    if (distinct.size() == 1) {
      b.append("<dt>input</dt><dd class=\"input\">").append(esc(distinct.get(0))).append("</dd>\n");
    } else {
      for (int i = 0; i < p.inputs().size(); i++) {
        b.append("<dt>input").append(sweep ? " (" + esc(labels.get(i)) + ")" : "").append("</dt><dd class=\"input\">")
            .append(esc(p.inputs().get(i))).append("</dd>\n");
      }
    }
    return b.append("</dl>\n</section>\n").toString();
  }

  // ------------------------------------------------------------------ TTFT

  private static String ttftCdf(List<? extends RunView> runs, List<String> labels, String sweepKey) {
    StringBuilder b = new StringBuilder("<section id=\"ttft-cdf\">\n<h2>TTFT distribution (CDF)</h2>\n");
    List<Series> curves = new ArrayList<>();
    double[] q = TtftCdf.levels();
    if (sweepKey == null) {
      TtftCdf cdf = runs.get(0).engine().ttft().cdf();
      if (cdf != null) {
        curves.add(curve("all", Charts.TOTAL, cdf.all(), q, true));
        for (TtftCdf.Curve c : cdf.byTier()) {
          curves.add(curve(c.name().equals("miss") ? "no hit" : c.name(), TIER_COLORS.get(c.name()), c, q, true));
        }
      }
      b.append("<p class=\"what\">The share of requests whose time to first token is at most x: all requests, and the")
          .append(" requests grouped by the tier that served most of their hit (L1, L2 or L3; a tie goes to the faster")
          .append(" tier; “no hit”: nothing cached). A curve further left is faster; the gaps between them are what each")
          .append(" tier costs in load time, and what a miss costs in prefill.</p>\n");
    } else {
      for (int i = 0; i < runs.size(); i++) {
        TtftCdf cdf = runs.get(i).engine().ttft().cdf();
        if (cdf != null) {
          curves.add(curve(labels.get(i), Charts.PALETTE[i % Charts.PALETTE.length], cdf.all(), q, false));
        }
      }
      b.append("<p class=\"what\">The share of requests whose time to first token is at most x, one curve per value of")
          .append(" --").append(esc(sweepKey)).append(".</p>\n");
    }
    if (curves.isEmpty()) return b.append("<p class=\"note\">No TTFT samples.</p>\n</section>\n").toString();
    double min = Double.POSITIVE_INFINITY, max = 0;
    for (Series s : curves) {
      for (double v : s.x()) {
        if (v > 0) min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    boolean log = min < Double.POSITIVE_INFINITY && max / min > 10;
    XAxis x = log ? XAxis.numeric("TTFT (ms, log scale)", min, max, true)
        : XAxis.numeric("TTFT (ms)", 0, max <= 0 ? 1 : Charts.niceCeil(max), false);
    return b.append(Charts.cdf("TTFT CDF", x, curves)).append("</section>\n").toString();
  }

  /** A CDF curve: x the TTFT quantiles in ms, y their levels; the legend gives their p50 (and how many requests). */
  private static Series curve(String name, String color, TtftCdf.Curve c, double[] q, boolean count) {
    long[] nanos = c.nanos();
    double[] x = new double[nanos.length];
    for (int i = 0; i < x.length; i++) x[i] = nanos[i] / 1e6;
    double p50 = nanos[50] / 1e6; // level 0.5
    return new Series(count ? String.format(Locale.ROOT, "%s: %,d requests, p50 %.1f ms", name, c.requests(), p50)
        : String.format(Locale.ROOT, "%s: p50 %.1f ms", name, p50), color, x, q);
  }

  // ------------------------------------------------------------------ over time

  /** Hit ratio by tier, occupancy and bytes per link over time for one run; ids get {@code suffix}. */
  private static String overTime(RunView run, String suffix) {
    EngineResult e = run.engine();
    Map<String, Object> f = run.fields();
    List<Interval> t = coarser(e.timeline(), MAX_POINTS);
    int n = t.size();
    StringBuilder b = new StringBuilder();
    if (n < 2) {
      String msg = "<p class=\"note\">The arrivals span a single interval of " + EngineReplay.TIMELINE_BUCKET_NANOS / 1_000_000_000L
          + " s: nothing to draw over time (the totals are in the summary).</p>\n";
      for (String id : List.of("hit-by-tier-over-time", "occupancy", "bytes-per-link")) {
        b.append("<section id=\"").append(id).append(suffix).append("\">\n<h2>").append(title(id)).append("</h2>\n")
            .append(msg).append("</section>\n");
      }
      return b.toString();
    }
    double widthSeconds = t.get(1).startSeconds() - t.get(0).startSeconds();
    double end = t.get(n - 1).startSeconds() + widthSeconds;
    double unit = end <= 180 ? 1 : end <= 48 * 3600 ? 60 : 3600;
    String unitName = unit == 1 ? "seconds" : unit == 60 ? "minutes" : "hours";
    String xTitle = unitName + " since the first arrival (" + fmtSeconds(widthSeconds) + " intervals)";
    double[] x = new double[n];
    double[] l1 = new double[n], l2 = new double[n], l3 = new double[n];
    double[] held1 = new double[n], held2 = new double[n], cap1 = new double[n], cap2 = new double[n];
    double[] held3 = new double[n], cap3 = new double[n];
    double[] d2h = new double[n], h2d = new double[n], l3r = new double[n], l3w = new double[n];
    Object instancesField = f.get("instances");
    double instances = instancesField instanceof Number num ? num.doubleValue() : 1;
    double c1 = number(f.get("l1_capacity_tokens")), c2 = number(f.get("l2_capacity_tokens"));
    double c3 = number(f.get("l3_capacity_tokens"));
    boolean hasL3 = f.get("l3_backend") != null;
    for (int i = 0; i < n; i++) {
      Interval a = t.get(i);
      x[i] = (a.startSeconds() + widthSeconds / 2) / unit;
      double prompt = a.promptTokens();
      l1[i] = prompt == 0 ? Double.NaN : a.l1HitTokens() / prompt;
      l2[i] = prompt == 0 ? Double.NaN : a.l2HitTokens() / prompt;
      l3[i] = prompt == 0 ? Double.NaN : a.l3HitTokens() / prompt;
      double samples = a.samples();
      held1[i] = samples == 0 ? Double.NaN : a.l1HeldSum() / samples / instances;
      held2[i] = samples == 0 ? Double.NaN : a.l2HeldSum() / samples / instances;
      held3[i] = samples == 0 ? Double.NaN : a.l3HeldSum() / samples;
      cap1[i] = c1;
      cap2[i] = c2;
      cap3[i] = c3;
      d2h[i] = a.d2hBytes() / widthSeconds / 1e9;
      h2d[i] = a.h2dBytes() / widthSeconds / 1e9;
      l3r[i] = a.l3ReadBytes() / widthSeconds / 1e9;
      l3w[i] = a.l3WriteBytes() / widthSeconds / 1e9;
    }
    XAxis axis = XAxis.numeric(xTitle, 0, end / unit, false);

    b.append("<section id=\"hit-by-tier-over-time").append(suffix).append("\">\n<h2>").append(title("hit-by-tier-over-time"))
        .append("</h2>\n<p class=\"what\">Of the prompt tokens of the requests that arrived in each interval, the share")
        .append(" each tier served, stacked: the top edge is the total hit ratio. L1 = already on the GPU, L2 = loaded")
        .append(" back from host memory, L3 = prefetched from the shared store.</p>\n");
    List<Series> layers = new ArrayList<>(List.of(new Series("L1 (device)", Charts.L1, x, l1)));
    if (c2 > 0) layers.add(new Series("L2 (host)", Charts.L2, x, l2));
    if (hasL3) layers.add(new Series("L3 (storage)", Charts.L3, x, l3));
    b.append(Charts.stackedAreas("hit ratio by tier over time", axis, layers, "token hit ratio", true)).append("</section>\n");

    b.append("<section id=\"occupancy").append(suffix).append("\">\n<h2>").append(title("occupancy"))
        .append("</h2>\n<p class=\"what\">Tokens cached per instance: the mean over the ");
    b.append(instances == 1 ? "instance" : String.format(Locale.ROOT, "%.0f prefill instances", instances))
        .append(" of the L1 (device) and L2 (host) tokens held in the radix tree, sampled as each request completes")
        .append(" (an instance as of its latest request) and averaged over the requests of each interval; dashed: the")
        .append(" tier's capacity. A tier at its capacity evicts to make room.</p>\n");
    // L2 first, L1 drawn over it: under write_through both grow alike until L1 is full.
    List<Series> occ = new ArrayList<>();
    if (c2 > 0) {
      occ.add(new Series("L2 held", Charts.L2, x, held2));
      occ.add(new Series("L2 capacity", Charts.L2, x, cap2, true));
    }
    occ.add(new Series("L1 held", Charts.L1, x, held1));
    occ.add(new Series("L1 capacity", Charts.L1, x, cap1, true));
    b.append(Charts.lines("tier occupancy over time", axis, occ, "tokens per instance", false));
    if (hasL3) {
      // The L3 is one pool shared by all instances, often far larger than a GPU's L1: its own chart,
      // in its own units, rather than a line that flattens the others.
      b.append("<p class=\"what\">The shared L3 (").append(esc(String.valueOf(f.get("l3_backend"))))
          .append("): tokens it holds (its pages × page size) for all instances together, sampled as each request")
          .append(" completes and averaged over the requests of each interval; dashed: its capacity.</p>\n");
      b.append(Charts.lines("L3 occupancy over time", axis, List.of(new Series("L3 held", Charts.L3, x, held3),
          new Series("L3 capacity", Charts.L3, x, cap3, true)), "tokens, shared pool", false));
    }
    b.append("</section>\n");

    b.append("<section id=\"bytes-per-link").append(suffix).append("\">\n<h2>").append(title("bytes-per-link"))
        .append("</h2>\n<p class=\"what\">Average throughput per interval over all instances together, counted for the")
        .append(" requests that arrived in it: PCIe device→host (backups to L2), host→device (load-backs)")
        .append(hasL3 ? ", and the L3 link's reads (prefetches) and writes (backups to L3, modelled)" : "")
        .append(".</p>\n");
    List<Series> links = new ArrayList<>(List.of(new Series("PCIe D→H", Charts.PALETTE[0], x, d2h),
        new Series("PCIe H→D", Charts.PALETTE[1], x, h2d)));
    if (hasL3) {
      // Dashed: under write_through the L3 writes equal the backups to L2, and would hide them.
      links.add(new Series("L3 read", Charts.PALETTE[2], x, l3r, true));
      links.add(new Series("L3 write", Charts.PALETTE[3], x, l3w, true));
    }
    b.append(Charts.lines("bytes per link over time", axis, links, "GB/s, all instances", false)).append("</section>\n");
    return b.toString();
  }

  /** Most intervals a chart over time draws: more are merged (a day-long trace's seconds read as noise). */
  static final int MAX_POINTS = 120;

  /** The timeline with runs of adjacent buckets merged, so that there are at most {@code max}. */
  static List<Interval> coarser(List<Interval> timeline, int max) {
    int k = (timeline.size() + max - 1) / max;
    if (k <= 1) return timeline;
    List<Interval> out = new ArrayList<>();
    for (int i = 0; i < timeline.size(); i += k) {
      Interval m = timeline.get(i);
      for (int j = i + 1; j < Math.min(i + k, timeline.size()); j++) m = m.merge(timeline.get(j));
      out.add(m);
    }
    return out;
  }

  private static String title(String id) {
    return switch (id) {
      case "hit-by-tier-over-time" -> "Hit ratio by tier over time";
      case "occupancy" -> "Tier occupancy over time";
      case "bytes-per-link" -> "Bytes per link over time";
      default -> id;
    };
  }

  private static String fmtSeconds(double s) {
    if (s < 60) return Charts.fmt(s) + " s";
    if (s < 3600) return Charts.fmt(s / 60) + " min";
    return Charts.fmt(s / 3600) + " h";
  }

  private static double number(Object v) {
    return v instanceof Number n ? n.doubleValue() : 0;
  }

  // ------------------------------------------------------------------ prefetch

  private static String prefetch(List<? extends RunView> runs, List<String> labels) {
    StringBuilder b = new StringBuilder("<section id=\"prefetch\">\n<h2>L3 prefetch outcomes</h2>\n");
    Map<String, Object> f = runs.get(0).fields();
    if (f.get("l3_backend") == null) {
      return b.append("<p class=\"note\">No L3 in this run: nothing is prefetched.</p>\n</section>\n").toString();
    }
    b.append("<p class=\"what\">How each L3 prefetch ended (its terminal reason: complete = every page arrived;")
        .append(" timeout = the prefetch policy admitted the request before it had; below_threshold = too few pages")
        .append(" to be worth fetching) and the prefetches never started, by the gate that stopped them. Counts over")
        .append(" the run, all instances.</p>\n");
    Map<String, String> keys = new LinkedHashMap<>();
    for (String k : f.keySet()) {
      if (k.startsWith("prefetch_terminated_")) keys.put(k, "ended: " + k.substring("prefetch_terminated_".length()));
      if (k.startsWith("prefetch_skipped_")) keys.put(k, "not started: " + k.substring("prefetch_skipped_".length()));
    }
    List<String> shown = new ArrayList<>(), zero = new ArrayList<>();
    for (var e : keys.entrySet()) {
      boolean any = false;
      for (RunView r : runs) any |= number(r.fields().get(e.getKey())) > 0;
      (any ? shown : zero).add(e.getKey());
    }
    if (shown.isEmpty()) {
      b.append("<p class=\"note\">No prefetch was attempted.</p>\n");
    } else {
      List<String> categories = new ArrayList<>();
      for (String k : shown) categories.add(keys.get(k));
      List<Series> series = new ArrayList<>();
      for (int i = 0; i < runs.size(); i++) {
        double[] y = new double[shown.size()];
        for (int c = 0; c < y.length; c++) y[c] = number(runs.get(i).fields().get(shown.get(c)));
        series.add(Series.categorical(runs.size() == 1 ? "prefetches" : labels.get(i),
            runs.size() == 1 ? Charts.L3 : Charts.PALETTE[i % Charts.PALETTE.length], y));
      }
      b.append(Charts.horizontalBars("L3 prefetch outcomes", categories, series, "prefetches"));
    }
    if (!zero.isEmpty()) {
      List<String> names = new ArrayList<>();
      for (String k : zero) names.add(keys.get(k));
      b.append("<p class=\"note\">None: ").append(esc(String.join(", ", names))).append(".</p>\n");
    }
    return b.append("</section>\n").toString();
  }

  // ------------------------------------------------------------------ per round

  private static String perGroup(List<? extends RunView> runs, List<String> labels, String sweepKey) {
    EngineResult e0 = runs.get(0).engine();
    if (e0.groupName() == null || e0.groups().size() < 2) return "";
    String group = e0.groupName();
    StringBuilder b = new StringBuilder("<section id=\"per-group\">\n<h2>Per ").append(esc(group)).append("</h2>\n");
    if (sweepKey == null) {
      int n = e0.groups().size();
      List<String> xs = new ArrayList<>();
      double[] l1 = new double[n], l2 = new double[n], l3 = new double[n], ttft = new double[n];
      int k = 0;
      for (var g : e0.groups().entrySet()) {
        EngineResult.GroupStats a = g.getValue();
        double prompt = a.promptTokens();
        xs.add(String.valueOf(g.getKey()));
        l1[k] = prompt == 0 ? 0 : a.deviceHitTokens() / prompt;
        l2[k] = prompt == 0 ? 0 : a.hostHitTokens() / prompt;
        l3[k] = prompt == 0 ? 0 : a.storageHitTokens() / prompt;
        ttft[k] = a.requests() == 0 ? 0 : a.ttftSumNanos() / 1e6 / a.requests();
        k++;
      }
      b.append("<p class=\"what\">Token hit ratio by tier for each ").append(esc(group)).append(" (stacked), and the")
          .append(" mean TTFT: later turns carry longer histories, served from further down the tiers.</p>\n");
      XAxis x = XAxis.categories(group, xs);
      b.append(Charts.bars("hit ratio per " + group, x, List.of(Series.categorical("L1", Charts.L1, l1),
          Series.categorical("L2", Charts.L2, l2), Series.categorical("L3", Charts.L3, l3)), "token hit ratio", true,
          true, v -> String.format(Locale.ROOT, "%.3f", v)));
      b.append(Charts.lines("mean TTFT per " + group, x, List.of(Series.categorical("TTFT mean", Charts.TOTAL, ttft)),
          "TTFT mean (ms)", false));
    } else {
      List<String> xs = new ArrayList<>();
      for (Integer g : e0.groups().keySet()) xs.add(String.valueOf(g));
      List<Series> hit = new ArrayList<>(), ttft = new ArrayList<>();
      for (int i = 0; i < runs.size(); i++) {
        EngineResult e = runs.get(i).engine();
        double[] h = new double[xs.size()], t = new double[xs.size()];
        for (int k = 0; k < xs.size(); k++) {
          EngineResult.GroupStats a = e.groups().get(Integer.valueOf(xs.get(k)));
          h[k] = a == null || a.promptTokens() == 0 ? Double.NaN : (double) a.cachedTokens() / a.promptTokens();
          t[k] = a == null || a.requests() == 0 ? Double.NaN : a.ttftSumNanos() / 1e6 / a.requests();
        }
        String color = Charts.PALETTE[i % Charts.PALETTE.length];
        hit.add(Series.categorical(labels.get(i), color, h));
        ttft.add(Series.categorical(labels.get(i), color, t));
      }
      b.append("<p class=\"what\">Token hit ratio and mean TTFT for each ").append(esc(group))
          .append(", one line per value of --").append(esc(sweepKey)).append(".</p>\n");
      XAxis x = XAxis.categories(group, xs);
      b.append(Charts.lines("hit ratio per " + group, x, hit, "token hit ratio", true));
      b.append(Charts.lines("mean TTFT per " + group, x, ttft, "TTFT mean (ms)", false));
    }
    return b.append("</section>\n").toString();
  }

  // ------------------------------------------------------------------ sweeps

  /** Hit ratio and TTFT against the swept value: bars for categories, lines for numbers. */
  private static String sweepCharts(List<? extends RunView> runs, String sweepKey, List<String> values) {
    List<String> labels = new ArrayList<>();
    for (String v : values) labels.add(v.strip());
    double[] numbers = Charts.numbers(labels);
    boolean engine = runs.get(0).engine() != null;
    String flag = "--" + sweepKey;
    XAxis x;
    if (numbers == null) {
      x = XAxis.categories(flag, labels);
    } else {
      double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
      for (double v : numbers) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      boolean log = min > 0 && max / min >= 20;
      x = XAxis.ticksAt(flag + (log ? " (log scale)" : ""), numbers, labels, log);
    }
    StringBuilder b = new StringBuilder("<section id=\"sweep-hit-ratio\">\n<h2>Token hit ratio against ")
        .append(esc(flag)).append("</h2>\n");
    List<Series> tiers = new ArrayList<>();
    if (engine) {
      for (String[] t : new String[][] {{"L1", "l1_hit_ratio", Charts.L1}, {"L2", "l2_hit_ratio", Charts.L2},
          {"L3", "l3_hit_ratio", Charts.L3}}) {
        double[] y = column(runs, t[1]);
        if (anyFinite(y)) tiers.add(series(t[0], t[2], numbers, y));
      }
    }
    double[] total = column(runs, "token_hit_ratio");
    if (numbers == null) {
      b.append("<p class=\"what\">Each value's token hit ratio").append(engine ? ", stacked by the tier that served it" : "")
          .append(" (the label on top is the total).</p>\n");
      List<Series> stack = engine ? tiers : List.of(series("total", Charts.TOTAL, null, total));
      b.append(Charts.bars("hit ratio against " + flag, x, stack, "token hit ratio", true, true,
          v -> String.format(Locale.ROOT, "%.3f", v)));
    } else {
      b.append("<p class=\"what\">Token hit ratio, total").append(engine ? " and by tier" : "").append(", at each value.</p>\n");
      List<Series> lines = new ArrayList<>(List.of(series("total", Charts.TOTAL, numbers, total)));
      lines.addAll(tiers);
      b.append(Charts.lines("hit ratio against " + flag, x, lines, "token hit ratio", true));
    }
    b.append("</section>\n");
    if (!engine) return b.toString();

    b.append("<section id=\"sweep-ttft\">\n<h2>TTFT against ").append(esc(flag)).append("</h2>\n")
        .append("<p class=\"what\">Time to first token's percentiles and mean at each value (ms).</p>\n");
    List<Series> ttft = new ArrayList<>();
    String[][] pct = {{"p50", "ttft_p50_ms"}, {"p90", "ttft_p90_ms"}, {"p99", "ttft_p99_ms"}, {"mean", "ttft_mean_ms"}};
    for (int i = 0; i < pct.length; i++) ttft.add(series(pct[i][0], Charts.PALETTE[i], numbers, column(runs, pct[i][1])));
    b.append(numbers == null
        ? Charts.bars("TTFT against " + flag, x, ttft, "TTFT (ms)", false, false, v -> String.format(Locale.ROOT, "%.1f", v))
        : Charts.lines("TTFT against " + flag, x, ttft, "TTFT (ms)", false));
    return b.append("</section>\n").toString();
  }

  private static Series series(String name, String color, double[] x, double[] y) {
    return x == null ? Series.categorical(name, color, y) : new Series(name, color, x, y);
  }

  private static boolean anyFinite(double[] y) {
    for (double v : y) if (Double.isFinite(v)) return true;
    return false;
  }

  /** A numeric field of each run; NaN where it is null (does not apply). */
  private static double[] column(List<? extends RunView> runs, String key) {
    double[] out = new double[runs.size()];
    for (int i = 0; i < out.length; i++) {
      Object v = runs.get(i).fields().get(key);
      try {
        out[i] = v == null ? Double.NaN : Double.parseDouble(String.valueOf(v));
      } catch (NumberFormatException e) {
        out[i] = Double.NaN;
      }
    }
    return out;
  }

  private static String table(List<? extends RunView> runs, String sweepKey, List<String> values) {
    StringBuilder b = new StringBuilder("<table><tr><th>field</th>");
    for (int i = 0; i < runs.size(); i++) {
      b.append("<th>").append(sweepKey == null ? "value" : esc("--" + sweepKey + " " + values.get(i).strip())).append("</th>");
    }
    b.append("</tr>\n");
    for (String key : runs.get(0).fields().keySet()) {
      b.append("<tr><td>").append(esc(key)).append("</td>");
      for (RunView r : runs) b.append("<td>").append(esc(EngineReport.textValue(r.fields().get(key)))).append("</td>");
      b.append("</tr>\n");
    }
    return b.append("</table>\n").toString();
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
