package dev.hicache.core.storage;

/**
 * The prefetch state machine (docs/behaviour.md#prefetch-state-machine):
 *
 * <pre>
 * QUEUED --query--> REVOKED            (agreed hit &lt; threshold; everything released)
 * QUEUED --query--> TRANSFERRING       (agreed hit &ge; threshold; host pages sized to the hit)
 * TRANSFERRING --batch ok--> TRANSFERRING | COMPLETE
 * TRANSFERRING --batch short/failed--> TERMINATED_BY_IO
 * {QUEUED, TRANSFERRING, COMPLETE, TERMINATED_BY_IO} --vote or abort--> TERMINATED
 * </pre>
 *
 * REVOKED and TERMINATED are final; {@code prefetch_tokens_occupied} is lowered on entering either.
 */
public enum PrefetchState {
  QUEUED, TRANSFERRING, COMPLETE, TERMINATED_BY_IO, REVOKED, TERMINATED;

  public boolean isFinal() {
    return this == REVOKED || this == TERMINATED;
  }

  /** Whether {@code to} is an edge of the state machine. */
  public boolean canMoveTo(PrefetchState to) {
    return switch (this) {
      case QUEUED -> to == REVOKED || to == TRANSFERRING || to == TERMINATED;
      case TRANSFERRING -> to == TRANSFERRING || to == COMPLETE || to == TERMINATED_BY_IO || to == TERMINATED;
      case COMPLETE, TERMINATED_BY_IO -> to == TERMINATED;
      case REVOKED, TERMINATED -> false;
    };
  }
}
