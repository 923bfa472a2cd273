package dev.hicache.simulator.report;

import dev.hicache.simulator.replay.L1ReplayResult;
import java.util.Locale;

/** Text and JSON renderings of an L1-only replay. */
public record L1Report(String trace, String evictionPolicy, L1ReplayResult r, String note) {

  /** token_hit_ratio as printed: 5 decimals (the precision of the reference values). */
  public static String ratio(double v) {
    return String.format(Locale.ROOT, "%.5f", v);
  }

  /** The keys of an L1-only run, in order (docs/output-schema.md). */
  public static final java.util.List<String> KEYS = java.util.List.of("mode", "trace", "page_size", "eviction_policy",
      "capacity_tokens", "capacity_pages", "requests", "input_tokens", "cached_tokens", "token_hit_ratio", "page_refs",
      "inserted_pages", "evicted_pages", "truncated_inserts", "resident_pages", "nodes", "wall_seconds",
      "page_events_per_second", "note");

  /** The run as ordered key/value pairs ({@link #KEYS}; null where a key does not apply): JSON, CSV, sweeps. */
  public java.util.Map<String, Object> fields() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("mode", "l1-only");
    m.put("trace", trace);
    m.put("page_size", r.pageSize());
    m.put("eviction_policy", evictionPolicy);
    m.put("capacity_tokens", r.infinite() ? null : r.capacityTokens());
    m.put("capacity_pages", r.infinite() ? null : r.capacityPages());
    m.put("requests", r.requests());
    m.put("input_tokens", r.inputTokens());
    m.put("cached_tokens", r.cachedTokens());
    m.put("token_hit_ratio", new Decimal(r.tokenHitRatio(), 5));
    m.put("page_refs", r.pageRefs());
    m.put("inserted_pages", r.insertedPages());
    m.put("evicted_pages", r.evictedPages());
    m.put("truncated_inserts", r.truncatedInserts());
    m.put("resident_pages", r.residentPages());
    m.put("nodes", r.nodes());
    m.put("wall_seconds", new Decimal(r.wallSeconds(), 3));
    m.put("page_events_per_second", Math.round(r.pageEventsPerSecond()));
    m.put("note", note);
    return m;
  }

  public String json() {
    StringBuilder sb = new StringBuilder(512).append('{');
    fields().forEach((k, v) -> sb.append('"').append(k).append("\":").append(EngineReport.jsonValue(v)).append(','));
    sb.setLength(sb.length() - 1);
    return sb.append("}\n").toString();
  }

  public String text() {
    StringBuilder sb = new StringBuilder(512);
    if (note != null) sb.append("note: ").append(note).append("\n\n");
    sb.append("L1-only replay through the radix tree (").append(evictionPolicy)
        .append(", page size ").append(r.pageSize()).append(")\n");
    row(sb, "trace", trace);
    row(sb, "L1 capacity", r.infinite() ? "inf"
        : String.format(Locale.ROOT, "%,d tokens (%,d pages)", r.capacityTokens(), r.capacityPages()));
    row(sb, "requests", String.format(Locale.ROOT, "%,d", r.requests()));
    row(sb, "input tokens", String.format(Locale.ROOT, "%,d", r.inputTokens()));
    row(sb, "cached tokens", String.format(Locale.ROOT, "%,d", r.cachedTokens()));
    row(sb, "token hit ratio", ratio(r.tokenHitRatio()));
    row(sb, "pages inserted", String.format(Locale.ROOT, "%,d", r.insertedPages()));
    row(sb, "pages evicted", String.format(Locale.ROOT, "%,d", r.evictedPages()));
    row(sb, "resident at end", String.format(Locale.ROOT, "%,d pages in %,d nodes", r.residentPages(), r.nodes()));
    row(sb, "wall time", String.format(Locale.ROOT, "%.3f s (%,.0f page events/s over %,d page refs)",
        r.wallSeconds(), r.pageEventsPerSecond(), r.pageRefs()));
    return sb.toString();
  }

  private static void row(StringBuilder sb, String label, String value) {
    sb.append(String.format(Locale.ROOT, "  %-17s %s%n", label, value));
  }
}
