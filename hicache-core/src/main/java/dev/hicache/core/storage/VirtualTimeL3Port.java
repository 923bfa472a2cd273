package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.Clock;
import dev.hicache.core.sim.SharedLink;
import java.util.ArrayDeque;
import java.util.List;
import dev.hicache.core.sim.L3CostModel;

/**
 * The L3 port in virtual time: three serial lanes (queries, reads, writes), each running its
 * commands in issue order. A command starts when it reaches the head of its lane (at the earliest
 * when it was issued), takes what the {@link L3CostModel} says, and runs against the store —
 * moving real bytes when there is a host pool — when {@link #poll} finds it due. The driver
 * advances the shared virtual clock to {@link #nextDueNanos()}. A command still waiting behind
 * another can be {@link #cancel cancelled} and then costs no time at all, so a backlog built up
 * while L3 was slow drains as soon as the requests it served have moved on.
 *
 * <p>With an {@link L3CostModel.Shared} cost model, the read and write lanes stay serial but their
 * head command moves its bytes on a {@link SharedLink} shared with other instances' ports, so its
 * completion is the link's current projection (re-timed by every transfer that joins or leaves).
 *
 * <p>Single-threaded; nothing here reads a wall clock or sleeps.
 */
public final class VirtualTimeL3Port implements L3Port {
  private enum Lane { QUERY, READ, WRITE }

  private static final class Cmd {
    final long op;
    final Lane lane;
    final List<PageKey> keys;
    final int[] hostPages;
    final long issuedAt;
    final long seq;
    long dueAt = Long.MAX_VALUE;
    SharedLink.Transfer transfer;

    Cmd(long op, Lane lane, List<PageKey> keys, int[] hostPages, long issuedAt, long seq) {
      this.op = op; this.lane = lane; this.keys = keys; this.hostPages = hostPages; this.issuedAt = issuedAt;
      this.seq = seq;
    }
  }

  private final L3PageIo io;
  private final L3CostModel cost;
  private final L3CostModel.Shared shared;
  private final Clock clock;
  @SuppressWarnings("unchecked")
  private final ArrayDeque<Cmd>[] lanes = new ArrayDeque[] {new ArrayDeque<Cmd>(), new ArrayDeque<Cmd>(), new ArrayDeque<Cmd>()};
  private long seq;
  private int size;
  private boolean closed;

  public VirtualTimeL3Port(L3PageIo io, L3CostModel cost, Clock clock) {
    if (io == null || cost == null || clock == null) throw new IllegalArgumentException("io, cost model and clock are required");
    this.io = io;
    this.cost = cost;
    this.shared = cost instanceof L3CostModel.Shared s ? s : null;
    this.clock = clock;
  }

  public L3PageIo io() { return io; }

  @Override public void query(long op, List<PageKey> keys) {
    issue(op, Lane.QUERY, keys, null);
  }

  @Override public void read(long op, List<PageKey> keys, int[] hostPages) {
    issue(op, Lane.READ, keys, hostPages);
  }

  @Override public void write(long op, List<PageKey> keys, int[] hostPages) {
    issue(op, Lane.WRITE, keys, hostPages);
  }

  private void issue(long op, Lane lane, List<PageKey> keys, int[] hostPages) {
    if (closed) throw new IllegalStateException("the L3 port is closed");
    long now = clock.nanos();
    // A prefetch's lazily hashed keys are unmodifiable and read on this thread: copying them
    // would hash every page the query may never reach. A KeySpan never changes: no copy either.
    List<PageKey> own = keys instanceof LazyPageKeys || keys instanceof KeySpan ? keys : List.copyOf(keys);
    Cmd c = new Cmd(op, lane, own, hostPages == null ? null : hostPages.clone(), now, seq++);
    ArrayDeque<Cmd> q = lanes[lane.ordinal()];
    if (q.isEmpty()) startHead(c, now);
    q.add(c);
    size++;
  }

  /** Drops a command that has not started (it never touches the store or its pages); false if it runs or ran. */
  @Override public boolean cancel(long op) {
    for (ArrayDeque<Cmd> q : lanes) {
      boolean head = true;
      for (var it = q.iterator(); it.hasNext(); ) {
        Cmd c = it.next();
        if (c.op == op) {
          if (head) return false;
          it.remove();
          size--;
          return true;
        }
        head = false;
      }
    }
    return false;
  }

  /** The command heads its lane at {@code at}: its time is fixed now, or it starts on the shared link. */
  private void startHead(Cmd c, long at) {
    if (shared == null || c.lane == Lane.QUERY) {
      c.dueAt = at + nanos(c);
      return;
    }
    SharedLink link = c.lane == Lane.READ ? shared.read() : shared.write();
    // A lane's next command starts when the previous one ends, which the cluster processes at that
    // very time; never before the link's own time.
    c.transfer = link.start(Math.max(at, link.now()), shared.latencyNanos(), c.keys.size() * shared.pageBytes());
  }

  private static long due(Cmd c) {
    return c.transfer == null ? c.dueAt : c.transfer.finishNanos();
  }

  @Override public long nextDueNanos() {
    long t = Long.MAX_VALUE;
    for (ArrayDeque<Cmd> q : lanes) if (!q.isEmpty()) t = Math.min(t, due(q.peek()));
    return t;
  }

  @Override public int inFlight() { return size; }

  @Override public int poll(Listener listener) {
    return runUntil(clock.nanos(), listener);
  }

  /** Runs every pending command now, in due order, whatever the clock says (close, tests). */
  public void drain(Listener listener) {
    runUntil(Long.MAX_VALUE, listener);
  }

  private int runUntil(long now, Listener l) {
    int n = 0;
    while (true) {
      ArrayDeque<Cmd> best = null;
      long bestDue = Long.MAX_VALUE;
      for (ArrayDeque<Cmd> q : lanes) {
        if (q.isEmpty()) continue;
        long d = due(q.peek());
        if (d > now) continue;
        if (best == null || d < bestDue || (d == bestDue && q.peek().seq < best.peek().seq)) {
          best = q;
          bestDue = d;
        }
      }
      if (best == null) return n;
      Cmd c = best.poll();
      size--;
      if (c.transfer != null) {
        SharedLink link = c.lane == Lane.READ ? shared.read() : shared.write();
        link.advanceTo(Math.max(bestDue, link.now()));
        if (!c.transfer.done()) throw new IllegalStateException(link.name() + " did not finish L3 command " + c.op);
      }
      if (!best.isEmpty()) startHead(best.peek(), Math.max(bestDue, best.peek().issuedAt));
      run(c, l);
      n++;
    }
  }

  /** A command's duration, asked of the cost model when it starts (so a store's latency is that of the moment). */
  private long nanos(Cmd c) {
    long bytes = c.keys.size() * io.pageBytes();
    return Math.max(0, switch (c.lane) {
      case QUERY -> cost.queryNanos(c.keys.size());
      case READ -> cost.readNanos(c.keys.size(), bytes);
      case WRITE -> cost.writeNanos(c.keys.size(), bytes);
    });
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
