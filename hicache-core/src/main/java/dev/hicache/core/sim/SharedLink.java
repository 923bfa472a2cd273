package dev.hicache.core.sim;

import java.util.ArrayList;
import java.util.Arrays;

/**
 * One link that several copy streams share, in virtual time, as exact processor sharing: a transfer
 * first waits its fixed latency (the command's set-up, which uses no bandwidth), then joins the
 * active transfers; while {@code n} are active each moves {@code min(perTransfer, bandwidth / n)}
 * bytes per second, and every join and every completion re-times the others. With {@code perTransfer
 * = bandwidth} this is plain processor sharing; with a smaller cap it is a host link of {@code
 * bandwidth} behind per-GPU links of {@code perTransfer} each (eight GPUs loading at once get what
 * the host side can give, one alone gets its own PCIe link's speed).
 *
 * <p>Users {@link #start} transfers at their own virtual time and ask {@link Transfer#finishNanos()}
 * for when one completes, given the transfers started so far (a later start can only postpone it).
 * Time is moved by {@link #advanceTo}, never backwards: everyone sharing a link must act in one
 * global virtual-time order (the simulator's {@code VirtualTimeCluster}); a start or an advance before the link's
 * time is a causality error and throws.
 *
 * <p>Deterministic: ties (equal remaining bytes, equal join times) resolve in start order; no wall
 * clock. Not thread-safe (the cluster runs one party at a time).
 */
public final class SharedLink {
  /** One transfer on the link. */
  public static final class Transfer {
    final SharedLink link;
    final long seq;
    final long bytes;
    final long startedAt;
    final long joinAt;
    final boolean track;
    double remaining;
    boolean joined;
    long finishedAt = -1;
    long projected = -1;
    long projectedVersion = -1;
    // progress breakpoints (virtual time, bytes moved), kept only when tracked (layer-wise loads)
    long[] bpTime;
    double[] bpMoved;
    int bpCount;

    Transfer(SharedLink link, long seq, long bytes, long startedAt, long joinAt, boolean track) {
      this.link = link;
      this.seq = seq;
      this.bytes = bytes;
      this.startedAt = startedAt;
      this.joinAt = joinAt;
      this.remaining = bytes;
      this.track = track;
      if (track) {
        bpTime = new long[4];
        bpMoved = new double[4];
      }
    }

    public long bytes() { return bytes; }

    /** When it was started (its latency begins). */
    public long startedAtNanos() { return startedAt; }

    public boolean done() { return finishedAt >= 0; }

    /** When it completed; -1 while in flight. */
    public long finishedAtNanos() { return finishedAt; }

    void breakpoint(long t, double moved) {
      if (bpCount > 0 && bpTime[bpCount - 1] == t) {
        bpMoved[bpCount - 1] = moved;
        return;
      }
      if (bpCount == bpTime.length) {
        bpTime = Arrays.copyOf(bpTime, bpCount * 2);
        bpMoved = Arrays.copyOf(bpMoved, bpCount * 2);
      }
      bpTime[bpCount] = t;
      bpMoved[bpCount++] = moved;
    }

    /**
     * When {@code num / den} of its bytes had moved (a load's layer {@code num - 1} of {@code den}
     * landing); only for a finished transfer started with {@code track}. Progress is piecewise
     * linear between the link's events; with one rate throughout this is {@code join + (finish -
     * join) × num / den}, as the serial link's even layer landing.
     */
    public long timeAtFraction(int num, int den) {
      if (!done()) throw new IllegalStateException("transfer " + seq + " is still in flight");
      if (!track) throw new IllegalStateException("transfer " + seq + " was not started with progress tracking");
      if (num <= 0) return joinAt;
      if (num >= den || bytes == 0) return finishedAt;
      if (bpCount <= 2) return joinAt + (finishedAt - joinAt) * num / den;
      double target = (double) bytes * num / den;
      for (int i = 1; i < bpCount; i++) {
        if (bpMoved[i] >= target) {
          double span = bpMoved[i] - bpMoved[i - 1];
          long t0 = bpTime[i - 1], t1 = bpTime[i];
          if (span <= 0) return t1;
          return t0 + (long) Math.ceil((t1 - t0) * ((target - bpMoved[i - 1]) / span));
        }
      }
      return finishedAt;
    }

    /** When it completes if nothing else starts on the link meanwhile (its actual finish once done). */
    public long finishNanos() {
      return link.finishNanos(this);
    }
  }

  /** Bytes below this are float noise of the re-timing, not data (a thousandth of a byte). */
  private static final double DONE_EPSILON = 1e-3;

  private final String name;
  private final double bytesPerSecond;
  private final double perTransferBytesPerSecond;
  private final ArrayList<Transfer> active = new ArrayList<>();   // joined, in start order
  private final ArrayList<Transfer> waiting = new ArrayList<>();  // in latency, by (joinAt, seq)
  private long now;
  private long lastEvent;     // the time at which `remaining` of the active transfers was last settled
  private long seq;
  private long version;
  private long projectedVersion = -1;
  // statistics
  private long transfers;
  private long sharedStarts;
  private int maxActive;
  private double bytesMoved;
  private long busyNanos;
  // projection scratch
  private Transfer[] pActive = new Transfer[8];
  private double[] pRemaining = new double[8];
  private Transfer[] pWaiting = new Transfer[8];

  /**
   * @param name for messages ("host link D->H of box 0")
   * @param bytesPerSecond what the link moves in all, shared by its active transfers
   * @param perTransferBytesPerSecond the most one transfer can move (its own link); {@code
   *     bytesPerSecond} or more for plain processor sharing
   */
  public SharedLink(String name, double bytesPerSecond, double perTransferBytesPerSecond) {
    if (!(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond) || !(perTransferBytesPerSecond > 0)) {
      throw new IllegalArgumentException(name + ": bandwidths must be finite and > 0 (got " + bytesPerSecond + ", "
          + perTransferBytesPerSecond + " bytes/s)");
    }
    this.name = name;
    this.bytesPerSecond = bytesPerSecond;
    this.perTransferBytesPerSecond = Math.min(perTransferBytesPerSecond, bytesPerSecond);
  }

  /** Plain processor sharing: one transfer alone gets the whole link. */
  public SharedLink(String name, double bytesPerSecond) {
    this(name, bytesPerSecond, bytesPerSecond);
  }

  public String name() { return name; }

  public double bytesPerSecond() { return bytesPerSecond; }

  public double perTransferBytesPerSecond() { return perTransferBytesPerSecond; }

  /** The link's virtual time: the latest time it was advanced or started at. */
  public long now() { return now; }

  /** Transfers moving bytes now (past their latency, not finished). */
  public int active() { return active.size(); }

  /** Transfers started and not finished (in latency or active). */
  public int inFlight() { return active.size() + waiting.size(); }

  /** Bytes per second each active transfer gets when {@code n} are active. */
  double rate(int n) {
    return Math.min(perTransferBytesPerSecond, bytesPerSecond / n);
  }

  /** Starts a transfer of {@code bytes} at {@code at} (>= {@link #now()}); it joins after {@code latencyNanos}. */
  public Transfer start(long at, long latencyNanos, long bytes) {
    return start(at, latencyNanos, bytes, false);
  }

  /**
   * Starts a transfer; with {@code track} its progress is recorded so that {@link
   * Transfer#timeAtFraction} can say when each part of it landed.
   */
  public Transfer start(long at, long latencyNanos, long bytes, boolean track) {
    if (latencyNanos < 0 || bytes < 0) {
      throw new IllegalArgumentException(name + ": latency and bytes must be >= 0 (got " + latencyNanos + ", " + bytes + ")");
    }
    advanceTo(at);
    Transfer t = new Transfer(this, seq++, bytes, at, at + latencyNanos, track);
    transfers++;
    if (!active.isEmpty() || !waiting.isEmpty()) sharedStarts++;
    if (latencyNanos == 0) {
      settle(at);
      join(t, at);
    } else {
      int i = waiting.size();
      while (i > 0 && waiting.get(i - 1).joinAt > t.joinAt) i--;
      waiting.add(i, t);
    }
    version++;
    return t;
  }

  /** Brings the active transfers' remaining bytes to time {@code t} (between events). */
  private void settle(long t) {
    int n = active.size();
    if (n > 0 && t > lastEvent) {
      double moved = rate(n) * (t - lastEvent) / 1e9;
      for (int i = 0; i < n; i++) {
        Transfer a = active.get(i);
        bytesMoved += Math.min(moved, Math.max(0, a.remaining)); // a finishing one's last ns is rounded up
        a.remaining -= moved;
        if (a.track) a.breakpoint(t, a.bytes - Math.max(0, a.remaining));
      }
      busyNanos += t - lastEvent;
    }
    lastEvent = Math.max(lastEvent, t);
  }

  private void join(Transfer t, long at) {
    t.joined = true;
    if (t.track) t.breakpoint(at, 0);
    active.add(t);
    maxActive = Math.max(maxActive, active.size());
  }

  /** Completes every transfer finished by {@code t} and moves the link's time to {@code t}. */
  public void advanceTo(long t) {
    if (t < now) {
      throw new IllegalStateException(name + ": causality: asked to move to " + t + " ns, but the link is already at "
          + now + " ns (every user of a shared link must act in one global time order)");
    }
    boolean changed = false;
    while (true) {
      long e = nextEvent();
      if (e > t || e == Long.MAX_VALUE) break;
      step(e);
      changed = true;
    }
    now = t;
    if (changed) version++;
  }

  /** The next join or completion, from the settled state (the same arithmetic as {@link #project}). */
  private long nextEvent() {
    long tj = waiting.isEmpty() ? Long.MAX_VALUE : waiting.get(0).joinAt;
    int n = active.size();
    if (n == 0) return tj;
    return Math.min(tj, lastEvent + nanosFor(active.get(indexOfMin(active)).remaining, rate(n)));
  }

  /** Nanoseconds to move {@code bytes} at {@code bytesPerSecond}, rounded up (0 for what is already done). */
  public static long nanosFor(double bytes, double bytesPerSecond) {
    if (bytes <= DONE_EPSILON) return 0;
    return (long) Math.ceil(bytes * 1e9 / bytesPerSecond);
  }

  private void step(long e) {
    int n = active.size();
    if (n > 0) {
      int first = indexOfMin(active);
      boolean completes = lastEvent + nanosFor(active.get(first).remaining, rate(n)) == e;
      settle(e);
      if (completes) {
        // The smallest is done at e by construction (the time was rounded up); so is any other
        // with the same remaining bytes (start order).
        for (int i = 0, k = 0; i < n; i++, k++) {
          Transfer a = active.get(k);
          if (i == first || a.remaining <= DONE_EPSILON) {
            finish(a, e);
            active.remove(k--);
          }
        }
      }
    } else {
      lastEvent = Math.max(lastEvent, e);
    }
    while (!waiting.isEmpty() && waiting.get(0).joinAt == e) join(waiting.remove(0), e);
  }

  private static int indexOfMin(ArrayList<Transfer> list) {
    int best = 0;
    for (int i = 1; i < list.size(); i++) if (list.get(i).remaining < list.get(best).remaining) best = i;
    return best;
  }

  private void finish(Transfer a, long e) {
    a.remaining = 0;
    a.finishedAt = e;
    if (a.track) a.breakpoint(e, a.bytes);
  }

  /** When the next transfer completes if nothing else starts; {@link Long#MAX_VALUE} when none is in flight. */
  public long nextCompletionNanos() {
    if (projectedVersion != version) project();
    long best = Long.MAX_VALUE;
    for (Transfer a : active) best = Math.min(best, a.projected);
    for (Transfer w : waiting) best = Math.min(best, w.projected);
    return best;
  }

  /** When {@code t} completes if nothing else starts on the link meanwhile; its finish time once done. */
  public long finishNanos(Transfer t) {
    if (t.done()) return t.finishedAt;
    if (t.projectedVersion != version) project();
    return t.projected;
  }

  /** Runs the link forward on copies of its state until everything in flight is done, noting each finish. */
  private void project() {
    int na = active.size(), nw = waiting.size();
    if (pActive.length < na + nw) {
      pActive = new Transfer[(na + nw) * 2];
      pRemaining = new double[(na + nw) * 2];
      pWaiting = new Transfer[(na + nw) * 2];
    }
    for (int i = 0; i < na; i++) {
      pActive[i] = active.get(i);
      pRemaining[i] = active.get(i).remaining;
    }
    for (int i = 0; i < nw; i++) pWaiting[i] = waiting.get(i);
    int n = na, wi = 0;
    long last = lastEvent;
    while (n > 0 || wi < nw) {
      long e = wi < nw ? pWaiting[wi].joinAt : Long.MAX_VALUE;
      int first = -1;
      if (n > 0) {
        first = 0;
        for (int i = 1; i < n; i++) if (pRemaining[i] < pRemaining[first]) first = i;
        long tc = last + nanosFor(pRemaining[first], rate(n));
        if (tc <= e) e = tc;
        else first = -1;
      }
      if (n > 0 && e > last) {
        double moved = rate(n) * (e - last) / 1e9;
        for (int i = 0; i < n; i++) pRemaining[i] -= moved;
      }
      last = Math.max(last, e);
      if (first >= 0) {
        int k = 0;
        for (int i = 0; i < n; i++) {
          if (i == first || pRemaining[i] <= DONE_EPSILON) {
            pActive[i].projected = e;
            pActive[i].projectedVersion = version;
          } else {
            pActive[k] = pActive[i];
            pRemaining[k++] = pRemaining[i];
          }
        }
        n = k;
      }
      while (wi < nw && pWaiting[wi].joinAt == e) {
        Transfer w = pWaiting[wi++];
        pActive[n] = w;
        pRemaining[n] = w.bytes;
        n++;
      }
    }
    Arrays.fill(pActive, null);
    Arrays.fill(pWaiting, null);
    projectedVersion = version;
  }

  /** Transfers started so far. */
  public long transfers() { return transfers; }

  /** Transfers that started while another was in flight on the link. */
  public long sharedStarts() { return sharedStarts; }

  /** The most transfers that were active at once. */
  public int maxActive() { return maxActive; }

  /** Bytes the link has moved so far (settled up to its last event). */
  public double bytesMoved() { return bytesMoved; }

  /** Virtual time during which at least one transfer was moving bytes (settled up to its last event). */
  public long busyNanos() { return busyNanos; }

  @Override public String toString() {
    return name + " (" + bytesPerSecond / 1e9 + " GB/s, " + perTransferBytesPerSecond / 1e9 + " GB/s per transfer)";
  }
}
