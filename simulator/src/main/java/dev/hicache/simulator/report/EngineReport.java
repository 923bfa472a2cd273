package dev.hicache.simulator.report;

import dev.hicache.simulator.engine.EngineResult;
import dev.hicache.simulator.engine.EngineSetup;
import dev.hicache.api.metrics.TerminalReason;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Text, JSON and CSV renderings of an engine run. */
public final class EngineReport {
  private EngineReport() {}

  /** Gates before an L3 prefetch starts, as counted by {@code hicache_prefetch_skipped{gate}}. */
  static final List<String> SKIP_GATES = List.of("below_threshold", "rate_limited", "broken_chain", "no_host_memory");

  /**
   * The keys of an engine run, in order: every run has all of them (docs/output-schema.md). A value
   * is a number, a boolean, a string, or null where the key does not apply to the run.
   */
  public static final List<String> KEYS = keys();

  private static List<String> keys() {
    List<String> k = new ArrayList<>(List.of("mode", "tiers", "workload", "model", "tp", "hardware", "instances",
        "routing", "decode_instances", "decode_offload", "l3_link", "pcie_link", "kv_bytes_per_token", "page_size",
        "write_policy", "eviction_policy", "l1_capacity_tokens", "l2_capacity_tokens", "l3_capacity_tokens",
        "l3_backend", "mooncake_lease_ttl_ms", "mooncake_eviction_high_watermark", "mooncake_eviction_ratio",
        "prefetch_policy", "requests", "input_tokens", "cached_tokens", "token_hit_ratio", "l1_hit_ratio",
        "l2_hit_ratio", "l3_hit_ratio", "prefill_tokens_computed", "prefill_tokens_saved", "ttft_p50_ms",
        "ttft_p90_ms", "ttft_p99_ms", "ttft_mean_ms", "queue_p50_ms", "queue_p90_ms", "queue_p99_ms", "queue_mean_ms",
        "prefetch_wait_mean_ms", "d2h_bytes", "h2d_bytes", "evicted_l1_tokens", "evicted_l2_tokens", "l3_read_bytes",
        "l3_write_bytes"));
    for (TerminalReason t : TerminalReason.values()) k.add("prefetch_terminated_" + t.label());
    for (String g : SKIP_GATES) k.add("prefetch_skipped_" + g);
    k.addAll(List.of("decoded_requests", "decode_l3_write_bytes", "shared_l3_transfers", "l3_puts_failed_no_space",
        "l3_evictions", "l3_eviction_passes", "l3_lease_blocked_evictions", "l3_eviction_passes_below_lower_bound",
        "uncached_requests", "virtual_seconds", "wall_seconds", "page_references", "page_events_per_second", "note"));
    return List.copyOf(k);
  }

  /** The run as ordered key/value pairs ({@link #KEYS}): the one source for JSON, CSV and sweep tables. */
  public static Map<String, Object> fields(EngineResult r, String note) {
    EngineSetup s = r.setup();
    boolean l3 = s.l3Tokens() > 0;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", "engine");
    m.put("tiers", s.tiers());
    m.put("workload", r.workload());
    m.put("model", s.model().name());
    m.put("tp", s.tp());
    m.put("hardware", s.hardware().name());
    m.put("instances", s.instances());
    m.put("routing", s.instances() == 1 ? null : s.routing());
    m.put("decode_instances", s.decodeInstances());
    m.put("decode_offload", s.decodeOffload());
    m.put("l3_link", s.sharedL3Link() ? "shared" : "private");
    m.put("pcie_link", s.sharedPcieLink() ? "shared" : "private");
    m.put("kv_bytes_per_token", s.shape().bytesPerToken());
    m.put("page_size", s.config().pageSize());
    m.put("write_policy", s.config().writePolicy().flagName());
    m.put("eviction_policy", s.config().radixEvictionPolicy().flagName());
    m.put("l1_capacity_tokens", s.deviceTokens());
    m.put("l2_capacity_tokens", s.hostTokens());
    m.put("l3_capacity_tokens", s.l3Tokens());
    m.put("l3_backend", l3 ? s.l3Backend() : null);
    // The Mooncake model's settings and counters: null for other backends.
    boolean mc = r.mooncakeL3() != null;
    m.put("mooncake_lease_ttl_ms", mc ? s.mooncake().leaseTtlMs() : null);
    m.put("mooncake_eviction_high_watermark", mc ? s.mooncake().highWatermark() : null);
    m.put("mooncake_eviction_ratio", mc ? s.mooncake().evictionRatio() : null);
    m.put("prefetch_policy", l3 ? s.config().prefetchPolicy().flagName() : null);
    m.put("requests", r.hits().requests());
    m.put("input_tokens", r.hits().promptTokens());
    m.put("cached_tokens", r.hits().cachedTokens());
    m.put("token_hit_ratio", ratio(r.hits().ratio()));
    m.put("l1_hit_ratio", ratio(r.hits().deviceRatio()));
    m.put("l2_hit_ratio", s.hostTokens() > 0 ? ratio(r.hits().hostRatio()) : null);
    m.put("l3_hit_ratio", l3 ? ratio(r.hits().storageRatio()) : null);
    m.put("prefill_tokens_computed", r.hits().computedTokens());
    m.put("prefill_tokens_saved", r.hits().cachedTokens());
    m.put("ttft_p50_ms", msNumber(r.ttft().p50()));
    m.put("ttft_p90_ms", msNumber(r.ttft().p90()));
    m.put("ttft_p99_ms", msNumber(r.ttft().p99()));
    m.put("ttft_mean_ms", msNumber(r.ttft().mean()));
    m.put("queue_p50_ms", msNumber(r.queueing().p50()));
    m.put("queue_p90_ms", msNumber(r.queueing().p90()));
    m.put("queue_p99_ms", msNumber(r.queueing().p99()));
    m.put("queue_mean_ms", msNumber(r.queueing().mean()));
    m.put("prefetch_wait_mean_ms", l3 ? msNumber(r.queueing().prefetchWaitMean()) : null);
    m.put("d2h_bytes", r.links().deviceToHostBytes());
    m.put("h2d_bytes", r.links().hostToDeviceBytes());
    m.put("evicted_l1_tokens", r.evictions().deviceTokens());
    m.put("evicted_l2_tokens", s.hostTokens() > 0 ? r.evictions().hostTokens() : null);
    m.put("l3_read_bytes", l3 ? r.links().l3ReadPages() * s.shape().bytesPerPage() : null);
    m.put("l3_write_bytes", l3 ? r.links().l3WritePages() * s.shape().bytesPerPage() : null);
    for (TerminalReason t : TerminalReason.values()) {
      m.put("prefetch_terminated_" + t.label(),
          l3 ? r.prefetch().terminated(t.label()) : null);
    }
    for (String g : SKIP_GATES) {
      m.put("prefetch_skipped_" + g, l3 ? r.prefetch().skipped(g) : null);
    }
    m.put("decoded_requests", r.decode().requests());
    m.put("decode_l3_write_bytes", s.decodeInstances() > 0 && l3 ? r.decode().l3WritePages() * s.shape().bytesPerPage() : null);
    m.put("shared_l3_transfers", r.links().sharedL3Transfers());
    m.put("l3_puts_failed_no_space", mc ? r.mooncakeL3().putsFailedNoSpace() : null);
    m.put("l3_evictions", mc ? r.mooncakeL3().evictions() : null);
    m.put("l3_eviction_passes", mc ? r.mooncakeL3().evictionPasses() : null);
    m.put("l3_lease_blocked_evictions", mc ? r.mooncakeL3().leaseBlockedEvictions() : null);
    m.put("l3_eviction_passes_below_lower_bound", mc ? r.mooncakeL3().passesBelowLowerBound() : null);
    m.put("uncached_requests", r.hits().uncachedRequests());
    m.put("virtual_seconds", new Decimal(r.span().virtualNanos() / 1e9, 3));
    m.put("wall_seconds", new Decimal(r.span().wallSeconds(), 3));
    m.put("page_references", r.span().pageReferences());
    m.put("page_events_per_second", Math.round(r.span().pageEventsPerSecond()));
    m.put("note", note);
    assert m.keySet().equals(new java.util.LinkedHashSet<>(KEYS)) : m.keySet();
    return m;
  }

  /** A hit ratio as a number with the 5 decimals of the reference values. */
  static Decimal ratio(double v) {
    return new Decimal(v, 5);
  }

  static Decimal msNumber(long nanos) {
    return new Decimal(nanos / 1e6, 1);
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
  }

  public static String json(EngineResult r, String note) {
    StringBuilder sb = new StringBuilder("{");
    fields(r, note).forEach((k, v) -> sb.append('"').append(k).append("\":").append(jsonValue(v)).append(','));
    // Per round (multiturn) or per client: always present, null where the workload has no groups.
    sb.append("\"group_by\":").append(r.groupName() == null ? "null" : Json.str(r.groupName())).append(",\"groups\":");
    if (r.groupName() == null) {
      sb.append("null");
    } else {
      sb.append('[');
      r.groups().forEach((g, a) -> sb.append(String.format(Locale.ROOT,
          "{\"group\":%d,\"requests\":%d,\"token_hit_ratio\":%s,\"l1_hit_ratio\":%s,\"l2_hit_ratio\":%s,"
              + "\"l3_hit_ratio\":%s,\"ttft_mean_ms\":%s},",
          g, a.requests(), L1Report.ratio(div(a.cachedTokens(), a.promptTokens())),
          L1Report.ratio(div(a.deviceHitTokens(), a.promptTokens())), L1Report.ratio(div(a.hostHitTokens(), a.promptTokens())),
          L1Report.ratio(div(a.storageHitTokens(), a.promptTokens())), ms(a.ttftMeanNanos()))));
      if (!r.groups().isEmpty()) sb.setLength(sb.length() - 1);
      sb.append(']');
    }
    return sb.append("}\n").toString();
  }

  /** A field's JSON form: null, a number, a boolean or a string, by the value's type. */
  public static String jsonValue(Object v) {
    if (v == null) return "null";
    if (v instanceof Decimal d) return d.json();
    if (v instanceof Double d) return Double.isFinite(d) ? d.toString() : "null";
    if (v instanceof Float f) return Float.isFinite(f) ? f.toString() : "null";
    if (v instanceof Number || v instanceof Boolean) return v.toString();
    return Json.str(String.valueOf(v));
  }

  private static double div(long a, long b) {
    return b == 0 ? 0 : (double) a / b;
  }

  public static String csvHeader(Map<String, Object> fields) {
    return String.join(",", fields.keySet()) + "\n";
  }

  /** One CSV row: null is an empty field; text with a comma, quote or line break is quoted. */
  public static String csvRow(Map<String, Object> fields) {
    StringBuilder sb = new StringBuilder();
    for (Object v : fields.values()) {
      String s = v == null ? "" : String.valueOf(v);
      if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
        s = "\"" + s.replace("\"", "\"\"") + "\"";
      }
      sb.append(s).append(',');
    }
    sb.setLength(sb.length() - 1);
    return sb.append('\n').toString();
  }

  /** A field in a text table: "-" where it does not apply. */
  public static String textValue(Object v) {
    return v == null ? "-" : String.valueOf(v);
  }

  public static String text(EngineResult r, String note) {
    EngineSetup s = r.setup();
    StringBuilder sb = new StringBuilder();
    if (note != null) sb.append("note: ").append(note).append("\n\n");
    sb.append("HiCache engine in virtual time (").append(s.tiers()).append(", ")
        .append(s.config().writePolicy().flagName()).append(", ").append(s.config().radixEvictionPolicy().flagName())
        .append(", page size ").append(s.config().pageSize()).append(")\n");
    row(sb, "workload", r.workload());
    row(sb, "model", s.model().describe(s.tp()));
    row(sb, "hardware", String.format(Locale.ROOT,
        "%s: prefill max(%.1f ms, %.1f ms + %,d ns/new token + %.2f ns per (new, earlier) token pair), %s",
        s.hardware().name(), s.hardware().prefillFloorNanos(s.model()) / 1e6, s.hardware().prefillOverheadNanos(s.model()) / 1e6,
        s.prefillNanosPerToken(), s.hardware().attentionNanosPerTokenPair(s.model(), s.tp()), copies(s.hardware())));
    row(sb, "L1 (device)", String.format(Locale.ROOT, "%,d tokens (%.1f GB per GPU)", s.deviceTokens(),
        s.deviceTokens() * (double) s.shape().bytesPerToken() / 1e9));
    row(sb, "L2 (host)", s.hostTokens() == 0 ? "off" : String.format(Locale.ROOT, "%,d tokens (%.1f GB per GPU)",
        s.hostTokens(), s.hostTokens() * (double) s.shape().bytesPerToken() / 1e9));
    row(sb, "L3", s.l3Tokens() == 0 ? "off" : String.format(Locale.ROOT,
        "%s, %,d tokens shared by all instances (%.0f GB); prefetch %s; link %.3g/%.3g GB/s, %.0f us",
        s.l3Backend().equals("local") ? "embedded store (process-private, " + s.l3Eviction().flagName()
            + (s.effectiveL3Store() == dev.hicache.simulator.l3.EmbeddedL3.Store.MODEL ? ", its LRU model" : "") + ")"
            : s.l3Backend().equals("mooncake")
            ? "Mooncake model (" + s.mooncake().describe() + ")" : "in-memory LRU pool", s.l3Tokens(), s.l3Tokens() * (double) s.shape().bytesPerToken() / 1e9, s.config().prefetchPolicy().flagName(),
        s.hardware().l3ReadGBps(), s.hardware().l3WriteGBps(), s.hardware().l3LatencyUs()));
    if (s.instances() > 1) {
      row(sb, "instances", s.instances() + " (private L1 and L2 each; routing " + s.routing() + ")");
    }
    if (s.sharedPcieLink() || (s.sharedL3Link() && s.l3Tokens() > 0)) {
      String pcie = s.sharedPcieLink() ? String.format(Locale.ROOT, "PCIe host side %.0f GB/s per box and direction"
          + " (each GPU at most %.0f)", s.hardware().hostLinkGBps(), s.hardware().pcieGBps()) : "PCIe private";
      String l3 = s.sharedL3Link() && s.l3Tokens() > 0 ? String.format(Locale.ROOT, "L3 %.0f/%.0f GB/s per box"
          + " (%,d transfers shared)", s.hardware().l3ReadGBps(), s.hardware().l3WriteGBps(), r.links().sharedL3Transfers())
          : "L3 private";
      row(sb, "shared links", pcie + "; " + l3 + "; processor sharing, instances in one global time order");
    }
    if (s.decodeInstances() > 0) {
      row(sb, "PD", String.format(Locale.ROOT, "%d prefill instance(s) (the hit ratios below), %d decode instance(s):"
          + " %,d requests decoded, %s", s.instances(), s.decodeInstances(), r.decode().requests(),
          s.decodeOffload() ? String.format(Locale.ROOT, "%,d pages (%.2f GB) offloaded to L3", r.decode().l3WritePages(),
              r.decode().l3WritePages() * (double) s.shape().bytesPerPage() / 1e9) : "no offload"));
    }
    row(sb, "requests", String.format(Locale.ROOT, "%,d (%,d too large to cache)", r.hits().requests(), r.hits().uncachedRequests()));
    row(sb, "input tokens", String.format(Locale.ROOT, "%,d", r.hits().promptTokens()));
    sb.append(String.format(Locale.ROOT, "%n  %-17s %10s %10s %10s %10s%n", "token hit ratio", "total", "L1", "L2", "L3"));
    sb.append(String.format(Locale.ROOT, "  %-17s %10s %10s %10s %10s%n", "", L1Report.ratio(r.hits().ratio()),
        L1Report.ratio(r.hits().deviceRatio()), L1Report.ratio(r.hits().hostRatio()),
        s.l3Tokens() == 0 ? "-" : L1Report.ratio(r.hits().storageRatio())));
    sb.append(String.format(Locale.ROOT, "%n  %-17s %10s %10s %10s %10s%n", "TTFT (ms)", "p50", "p90", "p99", "mean"));
    sb.append(String.format(Locale.ROOT, "  %-17s %10s %10s %10s %10s%n", "", ms(r.ttft().p50()), ms(r.ttft().p90()),
        ms(r.ttft().p99()), ms(r.ttft().mean())));
    sb.append(String.format(Locale.ROOT, "  %-17s %10s %10s %10s %10s%n", "queueing (ms)", ms(r.queueing().p50()),
        ms(r.queueing().p90()), ms(r.queueing().p99()), ms(r.queueing().mean())));
    sb.append(String.format(Locale.ROOT, "  %-17s %43s%n%n", "prefetch wait", ms(r.queueing().prefetchWaitMean())
        + " ms mean"));
    row(sb, "prefill tokens", String.format(Locale.ROOT, "%,d computed, %,d saved", r.hits().computedTokens(), r.hits().cachedTokens()));
    row(sb, "PCIe bytes", String.format(Locale.ROOT, "%.2f GB device->host, %.2f GB host->device",
        r.links().deviceToHostBytes() / 1e9, r.links().hostToDeviceBytes() / 1e9));
    row(sb, "evicted tokens", String.format(Locale.ROOT, "%,d from L1, %,d from L2", r.evictions().deviceTokens(), r.evictions().hostTokens()));
    if (s.l3Tokens() > 0) {
      if (r.mooncakeL3() != null) {
        var p = r.mooncakeL3();
        row(sb, "L3 pool", String.format(Locale.ROOT, "%,d pages written, %,d puts failed for no space"
            + " (NO_AVAILABLE_HANDLE); %,d evicted in %,d passes (%,d below the lower bound), %,d blocked by live"
            + " leases; %,d of %,d pages held", p.puts(), p.putsFailedNoSpace(), p.evictions(), p.evictionPasses(),
            p.passesBelowLowerBound(), p.leaseBlockedEvictions(), p.objects(), p.capacityPages()));
      }
      row(sb, "L3 bytes", String.format(Locale.ROOT, "%.2f GB read, %.2f GB written (modelled: pages x %,d bytes)",
          r.links().l3ReadPages() * (double) s.shape().bytesPerPage() / 1e9, r.links().l3WritePages() * (double) s.shape().bytesPerPage() / 1e9,
          s.shape().bytesPerPage()));
      StringBuilder p = new StringBuilder();
      r.prefetch().counters().forEach((k, v) -> p.append(p.length() == 0 ? "" : ", ")
          .append(k.replace("hicache_prefetch_", "").replace("{", " ").replace("}", "")).append(' ').append(v));
      row(sb, "prefetch", p.length() == 0 ? "none" : p.toString());
    }
    if (r.groupName() != null && r.groups().size() > 1) {
      sb.append(String.format(Locale.ROOT, "%n  per %-12s %9s %10s %10s %10s %10s %12s%n", r.groupName(), "requests",
          "hit ratio", "L1", "L2", "L3", "TTFT mean"));
      r.groups().forEach((g, a) -> sb.append(String.format(Locale.ROOT, "  %-16d %9d %10s %10s %10s %10s %10s ms%n", g,
          a.requests(), L1Report.ratio(div(a.cachedTokens(), a.promptTokens())),
          L1Report.ratio(div(a.deviceHitTokens(), a.promptTokens())), L1Report.ratio(div(a.hostHitTokens(), a.promptTokens())),
          L1Report.ratio(div(a.storageHitTokens(), a.promptTokens())), ms(a.ttftMeanNanos()))));
    }
    row(sb, "virtual time", String.format(Locale.ROOT, "%.1f s", r.span().virtualNanos() / 1e9));
    row(sb, "wall time", r.span().pageReferences() > 0
        ? String.format(Locale.ROOT, "%.3f s (%,.0f page events/s over %,d page refs)", r.span().wallSeconds(),
            r.span().pageEventsPerSecond(), r.span().pageReferences())
        : String.format(Locale.ROOT, "%.3f s", r.span().wallSeconds()));
    return sb.toString();
  }

  private static void row(StringBuilder sb, String label, String value) {
    sb.append(String.format(Locale.ROOT, "  %-17s %s%n", label, value));
  }

  /** The copy model the summary states: measured per direction (docs/calibration.md#copies), or the nominal link. */
  private static String copies(dev.hicache.simulator.model.HardwareProfile h) {
    dev.hicache.simulator.model.HardwareProfile.CopyCalibration c = h.copies();
    if (!c.calibrated()) return String.format(Locale.ROOT, "PCIe %.0f GB/s", h.pcieGBps());
    return String.format(Locale.ROOT, "copies D->H %.0f us + %.1f GB/s, H->D %.0f us + %.1f GB/s (measured)",
        h.d2hLatencyUs(), c.d2hGBps(), h.h2dLatencyUs(), c.h2dGBps());
  }
}
