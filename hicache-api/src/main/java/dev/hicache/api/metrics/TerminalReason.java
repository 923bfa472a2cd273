package dev.hicache.api.metrics;

/**
 * Why a prefetch ended (docs/behaviour.md#prefetch-termination): every exit is counted under one of
 * these as {@code hicache_prefetch_terminated{reason}}, never only logged.
 */
public enum TerminalReason {
  /** The agreed L3 hit was below {@code max(prefetch_threshold, page_size)}. */
  BELOW_THRESHOLD("below_threshold"),
  /** Started but given up before any transfer: host memory for the hit could not be had, or L3 is detached. */
  REVOKED("revoked"),
  /** The timeout policy's deadline passed before every page arrived. */
  TIMEOUT("timeout"),
  /** The policy let the request go before every page arrived (best_effort, or a user's policy). */
  UNFULFILLED("unfulfilled"),
  /** An L3 read failed or returned fewer pages than it held a moment before. */
  IO_FAILURE("io_failure"),
  /** A page read from L3 did not verify against its checksum: a miss, never served. */
  CHECKSUM_MISMATCH("checksum_mismatch"),
  /** The request was aborted while its prefetch ran. */
  ABORTED("aborted"),
  /** Every L3-hit page arrived. */
  COMPLETE("complete");

  private final String label;

  TerminalReason(String label) {
    this.label = label;
  }

  /** The metric label. */
  public String label() {
    return label;
  }
}
