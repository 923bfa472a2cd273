package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.L3Exception;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.MetricsSink;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.function.Supplier;

/**
 * An {@link L3Store} decorator that turns a failing backend into misses and skipped writes
 * (docs/behaviour.md#l3-faults, docs/design.md#invariants): retry, back off, detach after repeated
 * failure, re-attach when a health probe succeeds. Time is the {@link Clock} it is given — virtual
 * in the simulator and the tests — and it never sleeps: a retry is immediate, "backing off" means
 * calls inside the back-off window do not reach the backend at all and answer as a miss.
 *
 * <ul>
 *   <li>A call that throws (any {@link L3Exception} but FULL and INVALID_ARGUMENT, or a runtime
 *       error) is retried at once up to {@code retries} times. If it still fails, the failure
 *       streak grows and calls are short-circuited for {@code backoff × 2^(streak−1)} (capped).
 *   <li>After {@code detachAfter} consecutive failed calls the store is detached: every call is a
 *       miss / skipped write until a probe ({@code batchExists} of one fixed key) succeeds; probes
 *       run on the first call after {@code probeInterval × 2^(failed probes)} (capped).
 *   <li>A failure that says the store is down (UNAVAILABLE), or one that took longer than {@code
 *       slowCall}, is not retried and detaches at once: a store whose calls each block for seconds
 *       (Mooncake with its master down) must not be paid for call after call. The probe then
 *       finds out cheaply when it is back.
 *   <li>FULL on a write is a skipped write, not a health problem. Caller bugs
 *       (IllegalArgumentException, INVALID_ARGUMENT) are rethrown.
 * </ul>
 *
 * Thread-safe: state changes are short critical sections; backend calls run outside the lock.
 */
public final class FaultTolerantL3Store implements L3Store {
  /** What the decorator did so far. */
  public record Stats(long calls, long attempts, long failedAttempts, long failedCalls, long shortCircuited,
                      long detaches, long reattaches, long probes, long fullWrites) {}

  static final PageKey PROBE_KEY = probeKey();

  private final L3Store delegate;
  private final Clock clock;
  private final MetricsSink metrics;
  private final int retries;
  private final int detachAfter;
  private final long backoffNanos;
  private final long maxBackoffNanos;
  private final long probeIntervalNanos;
  private final long maxProbeIntervalNanos;
  private final long slowCallNanos;

  private volatile boolean closed;
  private boolean attached = true;
  private int streak;
  private int failedProbes;
  private long backoffUntil = Long.MIN_VALUE;
  private long nextProbeAt;
  private long calls, attempts, failedAttempts, failedCalls, shortCircuited, detaches, reattaches, probes, fullWrites;

  private FaultTolerantL3Store(Builder b) {
    this.delegate = b.delegate;
    this.clock = b.clock;
    this.metrics = b.metrics;
    this.retries = b.retries;
    this.detachAfter = b.detachAfter;
    this.backoffNanos = b.backoffNanos;
    this.maxBackoffNanos = b.maxBackoffNanos;
    this.probeIntervalNanos = b.probeIntervalNanos;
    this.maxProbeIntervalNanos = b.maxProbeIntervalNanos;
    this.slowCallNanos = b.slowCallNanos;
  }

  public static Builder builder(L3Store delegate, Clock clock) {
    return new Builder(delegate, clock);
  }

  public synchronized boolean attached() { return attached; }

  public synchronized Stats stats() {
    return new Stats(calls, attempts, failedAttempts, failedCalls, shortCircuited, detaches, reattaches, probes, fullWrites);
  }

  @Override public String name() { return delegate.name(); }

  @Override public Capabilities capabilities() { return delegate.capabilities(); }

  @Override public int batchExists(List<PageKey> keys) {
    L3Store.checkBatch(keys, null);
    Integer r = call("exists", () -> {
      int n = delegate.batchExists(keys);
      if (n < 0 || n > keys.size()) throw new L3Exception(L3Exception.Cause.INTERNAL, "exists answered " + n + " for " + keys.size());
      return n;
    });
    return r == null ? 0 : r;
  }

  @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    L3Store.checkPageBatch(keys, targets);
    boolean[] r = call("get", () -> sized(delegate.batchGet(keys, targets), keys.size()));
    return r == null ? new boolean[keys.size()] : r;
  }

  @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    L3Store.checkPageBatch(keys, sources);
    boolean[] r = call("set", () -> sized(delegate.batchSet(keys, sources), keys.size()));
    return r == null ? new boolean[keys.size()] : r;
  }

  @Override public boolean remove(PageKey key) {
    return removePage(key) == Removal.REMOVED;
  }

  /** The backend's answer; when L3 is not usable now, {@link Removal#IN_USE} (the page may still be there). */
  @Override public Removal removePage(PageKey key) {
    L3Store.checkKey(key);
    Removal r = call("remove", () -> delegate.removePage(key));
    return r == null ? Removal.IN_USE : r;
  }

  @Override public void clear() {
    call("clear", () -> {
      delegate.clear();
      return Boolean.TRUE;
    });
  }

  /** Closes the wrapped store; later calls throw IllegalStateException (a caller bug, not an L3 fault). */
  @Override public void close() {
    closed = true;
    delegate.close();
  }

  private static boolean[] sized(boolean[] r, int n) {
    if (r == null || r.length != n) {
      throw new L3Exception(L3Exception.Cause.INTERNAL, "store returned " + (r == null ? "null" : r.length + " results") + " for " + n + " pages");
    }
    return r;
  }

  /** Runs a call with retries, or returns null (a miss / skipped write) when L3 is not usable now. */
  private <T> T call(String op, Supplier<T> body) {
    if (closed) throw new IllegalStateException("L3 store '" + delegate.name() + "' is closed");
    if (!admit()) {
      metrics.count(StorageMetrics.L3_FAILURES, "short_circuit_" + op, 1);
      return null;
    }
    for (int attempt = 0; ; attempt++) {
      synchronized (this) {
        attempts++;
      }
      long started = clock.nanos();
      try {
        T r = body.get();
        succeeded();
        return r;
      } catch (L3Exception e) {
        if (e.reason() == L3Exception.Cause.INVALID_ARGUMENT) throw new IllegalArgumentException(e.getMessage(), e);
        if (e.reason() == L3Exception.Cause.FULL) {
          synchronized (this) {
            fullWrites++;
          }
          metrics.count(StorageMetrics.L3_FAILURES, "full", 1);
          return null;
        }
        boolean down = e.reason() == L3Exception.Cause.UNAVAILABLE || clock.nanos() - started > slowCallNanos;
        if (!retryOrGiveUp(op, attempt, down)) return null;
      } catch (IllegalArgumentException e) {
        throw e;
      } catch (RuntimeException e) {
        if (!retryOrGiveUp(op, attempt, clock.nanos() - started > slowCallNanos)) return null;
      }
    }
  }

  private synchronized boolean admit() {
    calls++;
    long now = clock.nanos();
    if (!attached) {
      if (now < nextProbeAt) {
        shortCircuited++;
        return false;
      }
      probes++;
      boolean ok;
      try {
        delegate.batchExists(List.of(PROBE_KEY));
        ok = true;
      } catch (RuntimeException e) {
        ok = false;
      }
      if (!ok) {
        failedProbes++;
        nextProbeAt = now + capped(probeIntervalNanos, failedProbes, maxProbeIntervalNanos);
        shortCircuited++;
        return false;
      }
      attached = true;
      reattaches++;
      streak = 0;
      failedProbes = 0;
      backoffUntil = Long.MIN_VALUE;
      metrics.gauge("hicache_l3_attached", null, 1);
      return true;
    }
    if (now < backoffUntil) {
      shortCircuited++;
      return false;
    }
    return true;
  }

  private synchronized void succeeded() {
    streak = 0;
  }

  /** @param down the store is down, or each call costs too long: no retry, detach now */
  private synchronized boolean retryOrGiveUp(String op, int attempt, boolean down) {
    failedAttempts++;
    metrics.count(StorageMetrics.L3_FAILURES, op, 1);
    if (attempt < retries && attached && !down) return true;
    failedCalls++;
    streak = down ? Math.max(streak + 1, detachAfter) : streak + 1;
    long now = clock.nanos();
    backoffUntil = now + capped(backoffNanos, streak - 1, maxBackoffNanos);
    if (streak >= detachAfter && attached) {
      attached = false;
      detaches++;
      failedProbes = 0;
      nextProbeAt = now + probeIntervalNanos;
      metrics.gauge("hicache_l3_attached", null, 0);
      System.getLogger(FaultTolerantL3Store.class.getName()).log(System.Logger.Level.WARNING,
          "L3 store '" + delegate.name() + "' detached after " + streak + " failed calls; probing for health");
    }
    return false;
  }

  private static long capped(long base, int doublings, long max) {
    if (doublings >= 62 || base > (max >> Math.min(62, doublings))) return max;
    return Math.min(max, base << doublings);
  }

  private static PageKey probeKey() {
    try {
      return PageKey.ofDigest(MessageDigest.getInstance("SHA-256").digest("hicache-l3-health-probe".getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Configures the decorator; defaults: 2 retries, detach after 5 failed calls, back-off 10 ms → 1
   * s, probe 1 s → 30 s; a failed call slower than 1 s detaches at once.
   */
  public static final class Builder {
    private final L3Store delegate;
    private final Clock clock;
    private MetricsSink metrics = MetricsSink.NONE;
    private int retries = 2;
    private int detachAfter = 5;
    private long backoffNanos = 10_000_000L;
    private long maxBackoffNanos = 1_000_000_000L;
    private long probeIntervalNanos = 1_000_000_000L;
    private long maxProbeIntervalNanos = 30_000_000_000L;
    private long slowCallNanos = 1_000_000_000L;

    private Builder(L3Store delegate, Clock clock) {
      if (delegate == null || clock == null) throw new IllegalArgumentException("a store and a clock are required");
      this.delegate = delegate;
      this.clock = clock;
    }

    public Builder metrics(MetricsSink m) { metrics = m; return this; }
    public Builder retries(int n) { retries = n; return this; }
    public Builder detachAfter(int n) { detachAfter = n; return this; }
    public Builder backoffNanos(long base, long max) { backoffNanos = base; maxBackoffNanos = max; return this; }
    public Builder probeIntervalNanos(long base, long max) { probeIntervalNanos = base; maxProbeIntervalNanos = max; return this; }
    /** A failed attempt that took longer than this is not retried and detaches the store at once. */
    public Builder slowCallNanos(long n) { slowCallNanos = n; return this; }

    public FaultTolerantL3Store build() {
      if (retries < 0 || detachAfter < 1 || backoffNanos < 0 || maxBackoffNanos < backoffNanos
          || probeIntervalNanos < 1 || maxProbeIntervalNanos < probeIntervalNanos || slowCallNanos < 1) {
        throw new IllegalArgumentException("fault-tolerant L3: retries >= 0, detachAfter >= 1, 0 <= backoff <= max, 0 < probe <= max, slowCall > 0");
      }
      return new FaultTolerantL3Store(this);
    }
  }
}
