package dev.hicache.core.prefetch;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The L3 port in virtual time: each command is due when the {@link L3CostModel} says (three
 * serial lanes), and runs against the store — moving real bytes when there is a host pool — when
 * {@link #poll} finds it due. The driver advances the shared virtual clock to {@link #nextDueNanos()}.
 * Single-threaded; nothing here reads a wall clock or sleeps.
 */
public final class VirtualTimeL3Port implements L3Port {
  private enum Lane { QUERY, READ, WRITE }

  private record Cmd(long op, Lane lane, List<PageKey> keys, int[] hostPages, long dueAt, long seq) {}

  private final L3PageIo io;
  private final L3CostModel cost;
  private final Clock clock;
  private final List<Cmd> pending = new ArrayList<>();
  private final long[] laneFreeAt = new long[3];
  private long seq;
  private boolean closed;

  public VirtualTimeL3Port(L3PageIo io, L3CostModel cost, Clock clock) {
    if (io == null || cost == null || clock == null) throw new IllegalArgumentException("io, cost model and clock are required");
    this.io = io;
    this.cost = cost;
    this.clock = clock;
  }

  public L3PageIo io() { return io; }

  @Override public void query(long op, List<PageKey> keys) {
    issue(op, Lane.QUERY, keys, null, cost.queryNanos(keys.size()));
  }

  @Override public void read(long op, List<PageKey> keys, int[] hostPages) {
    issue(op, Lane.READ, keys, hostPages, cost.readNanos(keys.size(), keys.size() * io.pageBytes()));
  }

  @Override public void write(long op, List<PageKey> keys, int[] hostPages) {
    issue(op, Lane.WRITE, keys, hostPages, cost.writeNanos(keys.size(), keys.size() * io.pageBytes()));
  }

  private void issue(long op, Lane lane, List<PageKey> keys, int[] hostPages, long nanos) {
    if (closed) throw new IllegalStateException("the L3 port is closed");
    long start = Math.max(clock.nanos(), laneFreeAt[lane.ordinal()]);
    long due = start + Math.max(0, nanos);
    laneFreeAt[lane.ordinal()] = due;
    pending.add(new Cmd(op, lane, List.copyOf(keys), hostPages == null ? null : hostPages.clone(), due, seq++));
  }

  @Override public long nextDueNanos() {
    long t = Long.MAX_VALUE;
    for (Cmd c : pending) t = Math.min(t, c.dueAt);
    return t;
  }

  @Override public int inFlight() { return pending.size(); }

  @Override public int poll(Listener listener) {
    long now = clock.nanos();
    int n = 0;
    while (true) {
      int best = -1;
      for (int i = 0; i < pending.size(); i++) {
        Cmd c = pending.get(i);
        if (c.dueAt <= now && (best < 0 || c.dueAt < pending.get(best).dueAt
            || (c.dueAt == pending.get(best).dueAt && c.seq < pending.get(best).seq))) best = i;
      }
      if (best < 0) return n;
      run(pending.remove(best), listener);
      n++;
    }
  }

  /** Runs every pending command now, in due order, whatever the clock says (close, tests). */
  public void drain(Listener listener) {
    while (!pending.isEmpty()) {
      int best = 0;
      for (int i = 1; i < pending.size(); i++) if (pending.get(i).dueAt < pending.get(best).dueAt) best = i;
      run(pending.remove(best), listener);
    }
  }

  private void run(Cmd c, Listener l) {
    switch (c.lane) {
      case QUERY -> {
        int hit = 0;
        Throwable failure = null;
        try {
          hit = io.query(c.keys);
        } catch (RuntimeException e) {
          failure = e;
        }
        l.queried(c.op, hit, failure);
      }
      case READ -> {
        L3Port.ReadResult r;
        try {
          r = io.read(c.keys, c.hostPages);
        } catch (RuntimeException e) {
          r = new L3Port.ReadResult(0, c.keys.size(), false, e);
        }
        l.read(c.op, r);
      }
      case WRITE -> {
        int stored = 0;
        Throwable failure = null;
        try {
          stored = io.write(c.keys, c.hostPages);
        } catch (RuntimeException e) {
          failure = e;
        }
        l.written(c.op, stored, failure);
      }
    }
  }

  @Override public void close() {
    closed = true;
  }
}
