package dev.hicache.simulator.workload;

/**
 * One request of a workload, reused by {@link Workload#next}: its arrival in virtual time, its
 * prompt token ids (exactly {@code tokens.length} tokens), its output length, and a group for
 * per-group reports (the round of a multi-turn conversation; 0 otherwise).
 */
public final class Request {
  public long arrivalNanos;
  public int[] tokens;
  public int outputTokens;
  public int group;
  /** Where it came from, for messages (a trace line, a client number). */
  public long origin;
}
