package dev.hicache.simulator.workload;

import dev.hicache.api.Namespace;
import java.io.IOException;

/**
 * A workload whose sessions each belong to one of {@code n} namespaces (docs/behaviour.md#namespaces),
 * as tenants of one shared cache: a session is what {@link Request#origin} names (a multi-turn client,
 * whose every turn stays in its namespace; a trace line or a synthetic request, each a session of
 * one request). Session k gets the namespace with {@code cache_salt} {@code tenant-j}, j drawn from
 * {@code seed} and k, so a run is reproducible. Identical prompts of different namespaces share no
 * page in any tier.
 */
public final class NamespacedWorkload implements Workload {
  private final Workload inner;
  private final Namespace[] namespaces;
  private final long seed;

  /**
   * @param n at least 2 (one namespace is the workload as it is: wrap nothing)
   */
  public NamespacedWorkload(Workload inner, int n, long seed) {
    if (inner == null) throw new IllegalArgumentException("a workload is required");
    if (n < 2) throw new IllegalArgumentException("--namespaces' must be at least 2 to spread sessions, got " + n);
    this.inner = inner;
    this.seed = seed;
    this.namespaces = new Namespace[n];
    for (int j = 0; j < n; j++) namespaces[j] = Namespace.ofSglang(null, "tenant-" + j);
  }

  /** The namespace of session {@code origin}: a pure function of the seed and the session. */
  public Namespace namespaceOf(long origin) {
    long z = seed * 0x9E3779B97F4A7C15L + origin * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return namespaces[(int) Long.remainderUnsigned(z ^ (z >>> 31), namespaces.length)];
  }

  @Override public boolean next(Request r) throws IOException {
    if (!inner.next(r)) return false;
    r.namespace = namespaceOf(r.origin);
    return true;
  }

  @Override public boolean attempt(Request r) throws IOException {
    if (!inner.attempt(r)) return false;
    r.namespace = namespaceOf(r.origin);
    return true;
  }

  @Override public long nextAttemptNanos() { return inner.nextAttemptNanos(); }

  @Override public void completed(Request r, long finishedAtNanos) { inner.completed(r, finishedAtNanos); }

  @Override public boolean openLoop() { return inner.openLoop(); }

  @Override public String groupName() { return inner.groupName(); }

  @Override public String describe() {
    return inner.describe() + "; " + namespaces.length + " namespaces (cache_salt tenant-0.." + (namespaces.length - 1)
        + ", one per session, seed " + seed + ")";
  }

  @Override public void close() throws IOException { inner.close(); }
}
