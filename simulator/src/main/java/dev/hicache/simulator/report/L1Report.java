package dev.hicache.simulator.report;

import dev.hicache.simulator.replay.L1ReplayResult;
import java.util.Locale;

/** Text and JSON renderings of an L1-only replay. */
public record L1Report(String trace, String evictionPolicy, L1ReplayResult r, String note) {

  /** token_hit_ratio as printed: 5 decimals (the precision of the reference values). */
  public static String ratio(double v) {
    return String.format(Locale.ROOT, "%.5f", v);
  }

  /** The run as ordered key/value pairs (sweep tables, CSV). */
  public java.util.Map<String, Object> fields() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("mode", "l1-only");
    m.put("page_size", r.pageSize());
    m.put("eviction_policy", evictionPolicy);
    m.put("capacity_tokens", r.infinite() ? "inf" : r.capacityTokens());
    m.put("requests", r.requests());
    m.put("input_tokens", r.inputTokens());
    m.put("cached_tokens", r.cachedTokens());
    m.put("token_hit_ratio", ratio(r.tokenHitRatio()));
    m.put("evicted_pages", r.evictedPages());
    m.put("wall_seconds", String.format(Locale.ROOT, "%.3f", r.wallSeconds()));
    return m;
  }

  public String json() {
    StringBuilder sb = new StringBuilder(512);
    sb.append('{');
    field(sb, "mode", Json.str("l1-only"));
    field(sb, "trace", Json.str(trace));
    field(sb, "page_size", r.pageSize());
    field(sb, "eviction_policy", Json.str(evictionPolicy));
    field(sb, "requests", r.requests());
    field(sb, "input_tokens", r.inputTokens());
    field(sb, "cached_tokens", r.cachedTokens());
    field(sb, "token_hit_ratio", ratio(r.tokenHitRatio()));
    field(sb, "capacity_tokens", r.infinite() ? "null" : Long.toString(r.capacityTokens()));
    field(sb, "capacity_pages", r.infinite() ? "null" : Long.toString(r.capacityPages()));
    field(sb, "page_refs", r.pageRefs());
    field(sb, "inserted_pages", r.insertedPages());
    field(sb, "evicted_pages", r.evictedPages());
    field(sb, "truncated_inserts", r.truncatedInserts());
    field(sb, "resident_pages", r.residentPages());
    field(sb, "nodes", r.nodes());
    field(sb, "wall_seconds", String.format(Locale.ROOT, "%.3f", r.wallSeconds()));
    field(sb, "page_events_per_second", String.format(Locale.ROOT, "%.0f", r.pageEventsPerSecond()));
    if (note != null) field(sb, "note", Json.str(note));
    sb.setLength(sb.length() - 1);
    return sb.append("}\n").toString();
  }

  private static void field(StringBuilder sb, String name, Object rawJson) {
    sb.append('"').append(name).append("\":").append(rawJson).append(',');
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
