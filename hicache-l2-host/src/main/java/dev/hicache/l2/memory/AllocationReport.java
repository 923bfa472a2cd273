package dev.hicache.l2.memory;

import java.util.List;

/**
 * Which path backs an allocation and why the ones before it did not.
 *
 * @param requestedBytes what the caller asked for
 * @param mappedBytes what was mapped (rounded up to the path's page), 0 on failure
 * @param chosen the path taken, or null when every path failed
 * @param attempts every path considered, in order
 * @param warnings things that went wrong without failing the allocation (mlock refused, ...)
 */
public record AllocationReport(long requestedBytes, long mappedBytes, PagePath chosen, List<Attempt> attempts,
    List<String> warnings) {

  /** One path considered. */
  public record Attempt(PagePath path, Outcome outcome, String detail) {
    @Override public String toString() {
      return path + " " + outcome.name().toLowerCase(java.util.Locale.ROOT) + (detail.isEmpty() ? "" : ": " + detail);
    }
  }

  /** What became of a path. */
  public enum Outcome {
    /** The allocation uses this path. */
    CHOSEN,
    /** Tried and failed (the detail carries errno's text). */
    FAILED,
    /** Not tried (the detail says why: rounding waste, THP disabled, ...). */
    SKIPPED
  }

  public AllocationReport {
    attempts = List.copyOf(attempts);
    warnings = List.copyOf(warnings);
  }

  public boolean succeeded() {
    return chosen != null;
  }

  /** Whether a path before the chosen one was tried or skipped: the allocation fell back. */
  public boolean fellBack() {
    return chosen != null && attempts.getFirst().path() != chosen;
  }

  /** One line for a log: "2147483648 B on HUGETLB_2M (after HUGETLB_1G failed: ENOMEM ...)". */
  public String describe() {
    StringBuilder b = new StringBuilder();
    b.append(requestedBytes).append(" B ");
    b.append(chosen == null ? "could not be allocated" : "on " + chosen + " (" + mappedBytes + " B mapped)");
    List<Attempt> others = attempts.stream().filter(a -> a.outcome() != Outcome.CHOSEN).toList();
    if (!others.isEmpty()) b.append("; ").append(others);
    if (!warnings.isEmpty()) b.append("; warnings ").append(warnings);
    return b.toString();
  }
}
