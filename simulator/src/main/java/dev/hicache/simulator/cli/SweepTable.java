package dev.hicache.simulator.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A sweep's runs as one aligned text table. */
final class SweepTable {
  private SweepTable() {}

  static final List<String> ENGINE_COLUMNS = List.of("token_hit_ratio", "l1_hit_ratio", "l2_hit_ratio",
      "l3_hit_ratio", "l1_capacity_tokens", "l2_capacity_tokens", "l3_capacity_tokens", "ttft_p50_ms", "ttft_p90_ms",
      "ttft_p99_ms", "d2h_bytes", "h2d_bytes", "l3_read_bytes", "l3_write_bytes", "wall_seconds");
  static final List<String> L1_COLUMNS = List.of("token_hit_ratio", "capacity_tokens", "cached_tokens", "evicted_pages",
      "wall_seconds");

  static String text(String key, List<String> values, List<SimulateCommand.Run> runs) {
    List<String> cols = runs.get(0).engine() != null ? ENGINE_COLUMNS : L1_COLUMNS;
    List<List<String>> rows = new ArrayList<>();
    List<String> header = new ArrayList<>();
    header.add(key);
    header.addAll(cols);
    rows.add(header);
    for (int i = 0; i < runs.size(); i++) {
      Map<String, Object> f = runs.get(i).fields();
      List<String> row = new ArrayList<>();
      row.add(values.get(i).strip());
      for (String c : cols) {
        row.add(f.get(c) == null && c.equals("capacity_tokens") ? "inf"
            : dev.hicache.simulator.report.EngineReport.textValue(f.get(c)));
      }
      rows.add(row);
    }
    int[] w = new int[header.size()];
    for (List<String> row : rows) for (int c = 0; c < row.size(); c++) w[c] = Math.max(w[c], row.get(c).length());
    StringBuilder sb = new StringBuilder();
    Object workload = runs.get(0).fields().get("workload");
    sb.append("sweep of --").append(key).append(workload != null ? " over " + workload : "").append('\n');
    for (List<String> row : rows) {
      for (int c = 0; c < row.size(); c++) {
        sb.append(c == 0 ? String.format(Locale.ROOT, "%-" + w[c] + "s", row.get(c))
            : String.format(Locale.ROOT, "  %" + w[c] + "s", row.get(c)));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
