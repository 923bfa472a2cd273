package dev.hicache.l2.memory;

/** No path could back an allocation; the report says what each path answered. */
public final class HostMemoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient AllocationReport report;

  public HostMemoryException(String message, AllocationReport report) {
    super(message + ": " + report.describe());
    this.report = report;
  }

  public AllocationReport report() {
    return report;
  }
}
