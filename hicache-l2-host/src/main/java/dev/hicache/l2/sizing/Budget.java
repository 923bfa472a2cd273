package dev.hicache.l2.sizing;

import java.math.BigInteger;

/**
 * The reference script's budget (docs/behaviour.md#hugetlb-sizing): per-rank and total floors, and
 * a status from strict comparisons with the available HugeTLB bytes.
 */
public record Budget(Status status, BigInteger baselinePerRank, BigInteger baselineTotal, BigInteger cleanArenaPerRank,
    BigInteger cleanArenaTotal) {

  /** The script's statuses, their printed texts and exit codes. */
  public enum Status {
    PLANNING_ONLY("planning only", 0,
        "no HugeTLB capacity is known, so the figures above are a plan to size the pool by, not a check."),
    INSUFFICIENT_FOR_BASELINE("insufficient for baseline", 2,
        "the HugeTLB pool is smaller than the baseline floor; a launch will likely fail to start or to allocate."),
    BASELINE_FITS_ARENA_MAY_FALLBACK("baseline fits, arena may fall back", 1,
        "the baseline floor fits, but not the arena on top of it; some arena memory may come from regular pages."),
    CLEAN_ARENA_BUDGET_AVAILABLE("clean arena budget available", 0,
        "the HugeTLB pool covers the baseline floor and the arena pool on every rank.");

    private final String text;
    private final int exitCode;
    private final String meaning;

    Status(String text, int exitCode, String meaning) {
      this.text = text;
      this.exitCode = exitCode;
      this.meaning = meaning;
    }

    /** The reference's name: planning_only, insufficient_for_baseline, ... */
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public String text() {
      return text;
    }

    public int exitCode() {
      return exitCode;
    }

    /** Our own sentence for the Meaning: line (the reference's words are not copied; labels and statuses are). */
    public String meaning() {
      return meaning;
    }
  }

  /**
   * @param available the HugeTLB bytes available, or null when unknown
   * @throws IllegalArgumentException "tp_size must be positive" when {@code tp <= 0}
   */
  public static Budget evaluate(BigInteger tp, BigInteger hicache, BigInteger globalSegment, BigInteger arenaPool,
      BigInteger available) {
    if (tp.signum() <= 0) throw new IllegalArgumentException("tp_size must be positive");
    BigInteger baselinePerRank = hicache.add(globalSegment);
    BigInteger baselineTotal = baselinePerRank.multiply(tp);
    BigInteger cleanPerRank = baselinePerRank.add(arenaPool);
    BigInteger cleanTotal = cleanPerRank.multiply(tp);
    Status s;
    if (available == null) s = Status.PLANNING_ONLY;
    else if (available.compareTo(baselineTotal) < 0) s = Status.INSUFFICIENT_FOR_BASELINE;
    else if (available.compareTo(cleanTotal) < 0) s = Status.BASELINE_FITS_ARENA_MAY_FALLBACK;
    else s = Status.CLEAN_ARENA_BUDGET_AVAILABLE;
    return new Budget(s, baselinePerRank, baselineTotal, cleanPerRank, cleanTotal);
  }

  /** Pages to reserve for {@code total} bytes: ceil(total / page); null when the page size is 0. */
  public static BigInteger pagesToReserve(BigInteger total, BigInteger pageBytes) {
    if (pageBytes.signum() <= 0) return null;
    BigInteger[] qr = total.divideAndRemainder(pageBytes);
    return qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
  }
}
