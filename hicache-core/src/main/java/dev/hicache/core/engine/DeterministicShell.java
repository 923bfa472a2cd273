package dev.hicache.core.engine;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.DevicePool;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.Transfer;
import dev.hicache.core.pool.HostPageChecksum;
import dev.hicache.core.pool.SlotPages;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.SharedLink;
import dev.hicache.core.sim.ClusterTurns;

/**
 * The controller's ports in virtual time: a discrete-event loop where each copy command completes
 * when the {@link CostModel} says (each direction is one serial link, like SGLang's write and load
 * streams), or in any order a test chooses ({@link #complete(int)}). With pools, bytes really move
 * — at completion time, through the same {@link DevicePool} SPI as in production — so a test can
 * check every byte; without pools (simulation) only time and metadata move.
 *
 * <p>With a {@link CostModel.Shared} cost model each direction stays a serial stream, but the
 * command at the head of a stream moves its bytes on a {@link SharedLink} that other instances
 * use too, so its completion time is known only as the link's current projection; such shells
 * must run in a virtual-time cluster (the simulator's {@code VirtualTimeCluster}), whose turns their waits ({@link #advanceTo}, {@link
 * #runNext}) then take.
 *
 * <p>Single-threaded; nothing here reads a wall clock.
 */
public final class DeterministicShell implements TransferPort, LoadTicket.Driver {
  /** Virtual time, in nanoseconds. */
  public static final class VirtualClock implements Clock {
    private long now;

    @Override public long nanos() { return now; }

    void advanceTo(long t) {
      if (t > now) now = t;
    }
  }

  /** One command in flight. */
  public record Pending(long op, boolean backup, int pages, long issuedAt, long dueAt) {}

  /** A command; {@code transfer} is its share of a shared link once it heads its stream. */
  private static final class Cmd {
    final Pending p;
    final int[] devicePages;
    final int[] hostPages;
    final PageKey[] keys;
    final LoadTicket ticket;
    SharedLink.Transfer transfer;

    Cmd(Pending p, int[] devicePages, int[] hostPages, PageKey[] keys, LoadTicket ticket) {
      this.p = p; this.devicePages = devicePages; this.hostPages = hostPages; this.keys = keys; this.ticket = ticket;
    }
  }

  private final VirtualClock clock = new VirtualClock();
  private final CostModel cost;
  private final long bytesPerPage;
  private final DevicePool devicePool;
  private final HostPool hostPool;
  private final int pageSize;
  private final List<Cmd> pending = new ArrayList<>();
  private long writeLinkFreeAt;
  private long loadLinkFreeAt;
  private final CostModel.Shared shared;
  private final ArrayDeque<Cmd> backupStream = new ArrayDeque<>(); // shared links: commands not yet at the head
  private final ArrayDeque<Cmd> loadStream = new ArrayDeque<>();
  private Cmd backupHead;
  private Cmd loadHead;
  private ClusterTurns turns;
  private CacheController controller;
  private long completed;
  private LongSupplier storageNextDue;
  private Runnable storageTick;

  DeterministicShell(CostModel cost, long bytesPerPage, int pageSize, DevicePool devicePool, HostPool hostPool) {
    this.cost = cost;
    this.shared = cost instanceof CostModel.Shared s ? s : null;
    this.bytesPerPage = bytesPerPage;
    this.pageSize = pageSize;
    this.devicePool = devicePool;
    this.hostPool = hostPool;
  }

  void bind(CacheController c) {
    this.controller = c;
  }

  /**
   * Simulation hook: this shell joins a virtual-time cluster, whose turns its waits ({@link #advanceTo},
   * {@link #runNext}) then take.
   */
  public void joinCluster(ClusterTurns t) {
    if (turns != null) throw new IllegalStateException("this shell already belongs to a cluster");
    this.turns = t;
  }

  /** Whether copies run on shared links (and so need the simulator's virtual-time cluster). */
  public boolean sharesLinks() {
    return shared != null;
  }

  /**
   * The L3 port's next due time and what runs after each event: the storage controller's tick for a
   * single rank, or only the delivery of L3 completions (no collective) for TP > 1.
   */
  void attachStorage(LongSupplier nextDue, Runnable afterEvent) {
    this.storageNextDue = nextDue;
    this.storageTick = afterEvent;
  }

  private long storageDue() {
    return storageNextDue == null ? Long.MAX_VALUE : storageNextDue.getAsLong();
  }

  public VirtualClock clock() { return clock; }

  /** Virtual now, nanoseconds. */
  public long now() { return clock.now; }

  /** Commands in flight, in issue order. */
  public List<Pending> pending() {
    List<Pending> out = new ArrayList<>(pending.size());
    for (Cmd c : pending) {
      out.add(shared == null ? c.p : new Pending(c.p.op, c.p.backup, c.p.pages, c.p.issuedAt, dueOf(c)));
    }
    return out;
  }

  /** When a command completes: fixed at issue on a private link; the shared link's projection otherwise. */
  private long dueOf(Cmd c) {
    if (shared == null) return c.p.dueAt;
    return c.transfer == null ? Long.MAX_VALUE : c.transfer.finishNanos();
  }

  @Override public int inFlight() { return pending.size(); }

  /** Commands completed so far. */
  public long completed() { return completed; }

  @Override public boolean movesBytes() { return devicePool != null; }

  @Override public void backup(long op, int[] devicePages, int[] hostPages, PageKey[] keys) {
    if (shared != null) {
      Cmd c = new Cmd(new Pending(op, true, devicePages.length, clock.now, Long.MAX_VALUE), devicePages, hostPages, keys,
          null);
      pending.add(c);
      if (backupHead == null) startOnLink(c);
      else backupStream.add(c);
      return;
    }
    long start = Math.max(clock.now, writeLinkFreeAt);
    long due = start + cost.deviceToHostNanos(devicePages.length * bytesPerPage);
    writeLinkFreeAt = due;
    pending.add(new Cmd(new Pending(op, true, devicePages.length, clock.now, due), devicePages, hostPages, keys, null));
  }

  @Override public void load(long op, int[] hostPages, int[] devicePages, LoadTicket ticket) {
    if (shared != null) {
      Cmd c = new Cmd(new Pending(op, false, devicePages.length, clock.now, Long.MAX_VALUE), devicePages, hostPages, null,
          ticket);
      ticket.onSharedLink = true;
      pending.add(c);
      if (loadHead == null) startOnLink(c);
      else loadStream.add(c);
      return;
    }
    long start = Math.max(clock.now, loadLinkFreeAt);
    long due = start + cost.hostToDeviceNanos(devicePages.length * bytesPerPage);
    loadLinkFreeAt = due;
    ticket.virtualStart = start;
    ticket.virtualDue = due;
    pending.add(new Cmd(new Pending(op, false, devicePages.length, clock.now, due), devicePages, hostPages, null, ticket));
  }

  /** The command now heads its stream: it starts moving its bytes on the shared link. */
  private void startOnLink(Cmd c) {
    long bytes = c.devicePages.length * bytesPerPage;
    if (c.p.backup) {
      backupHead = c;
      c.transfer = shared.deviceToHost().start(clock.now, shared.deviceToHostLatencyNanos(), bytes);
    } else {
      loadHead = c;
      c.transfer = shared.hostToDevice().start(clock.now, shared.hostToDeviceLatencyNanos(), bytes, true);
      c.ticket.transfer = c.transfer;
    }
  }

  /** The earliest of this shell's next copy completion and its L3 port's; {@link Long#MAX_VALUE} when none. */
  public long nextEventNanos() {
    long best = storageDue();
    for (int i = 0; i < pending.size(); i++) best = Math.min(best, dueOf(pending.get(i)));
    return best;
  }

  @Override public long checksum(int hostPage, PageKey key) {
    return HostPageChecksum.of(hostPool, hostPage, key);
  }

  /** Completes the command due first (ties in issue order), advancing virtual time to it; false if none. */
  public boolean runNext() {
    if (turns != null && turns.gated()) turns.await(ClusterTurns.NEXT_EVENT);
    return stepOne();
  }

  /** Simulation hook: {@link #runNext} without taking a turn; the cluster calls it for the member whose turn it is. */
  public boolean stepOne() {
    int best = -1;
    long bestDue = Long.MAX_VALUE;
    for (int i = 0; i < pending.size(); i++) {
      long d = dueOf(pending.get(i));
      if (best < 0 || d < bestDue) {
        best = i;
        bestDue = d;
      }
    }
    long l3 = storageDue();
    if ((best < 0 || bestDue == Long.MAX_VALUE) && l3 == Long.MAX_VALUE) return false;
    if (best < 0 || l3 < bestDue) {
      clock.advanceTo(l3);
      storageTick.run(); // delivers the L3 completions now due (and, for a single rank, decides)
      return true;
    }
    complete(best);
    return true;
  }

  /**
   * Completes the {@code index}-th pending command (issue order) now, whatever the cost model says:
   * property tests choose completion orders with this. Time moves to the command's due time if
   * that is later.
   */
  public void complete(int index) {
    Cmd c = pending.get(index);
    if (shared != null) {
      if (c.transfer == null) {
        throw new IllegalStateException("command " + c.p.op + " waits behind another in its stream: on shared links"
            + " commands complete in stream order");
      }
      // The link decides when: move to its projected finish (others' later starts can only delay it).
      long due = c.transfer.finishNanos();
      clock.advanceTo(due);
      (c.p.backup ? shared.deviceToHost() : shared.hostToDevice()).advanceTo(clock.now);
      if (!c.transfer.done()) throw new IllegalStateException("shared link did not finish command " + c.p.op + " by " + due);
      pending.remove(index);
      ArrayDeque<Cmd> stream = c.p.backup ? backupStream : loadStream;
      if (c.p.backup) backupHead = null;
      else loadHead = null;
      if (!stream.isEmpty()) startOnLink(stream.poll()); // the stream's next command starts as this one ends
    } else {
      pending.remove(index);
      clock.advanceTo(c.p.dueAt);
    }
    completed++;
    if (c.p.backup) {
      long[] sums = null;
      Throwable failure = null;
      if (devicePool != null) {
        Transfer t = devicePool.backup(SlotPages.slots(c.devicePages, pageSize), hostPool, SlotPages.slots(c.hostPages, pageSize));
        failure = awaitQuietly(t);
        if (failure == null) {
          sums = new long[c.hostPages.length];
          for (int i = 0; i < sums.length; i++) sums[i] = HostPageChecksum.of(hostPool, c.hostPages[i], c.keys[i]);
        }
      }
      controller.backupDone(c.p.op, sums, failure);
    } else {
      Throwable failure = null;
      if (devicePool != null) {
        Transfer t = devicePool.load(SlotPages.slots(c.hostPages, pageSize), hostPool, SlotPages.slots(c.devicePages, pageSize));
        failure = awaitQuietly(t);
      }
      if (failure == null) c.ticket.progress.layersLanded(c.ticket.layers());
      controller.loadDone(c.p.op, failure);
    }
    if (storageTick != null) storageTick.run(); // a single rank: a scheduler iteration follows every event
  }

  private static Throwable awaitQuietly(Transfer t) {
    try {
      t.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e;
    }
    return t.failure();
  }

  /** Completes every command due at or before {@code t}, in due order, then sets the clock to {@code t}. */
  public void advanceTo(long t) {
    if (turns != null && turns.gated()) {
      while (true) {
        turns.await(t);
        if (nextEventNanos() <= t) {
          stepOne();
          continue;
        }
        clock.advanceTo(t);
        return;
      }
    }
    if (shared != null) {
      while (nextEventNanos() <= t) stepOne();
      clock.advanceTo(t);
      return;
    }
    while (true) {
      int best = -1;
      for (int i = 0; i < pending.size(); i++) {
        if (pending.get(i).p.dueAt <= t && (best < 0 || pending.get(i).p.dueAt < pending.get(best).p.dueAt)) best = i;
      }
      long l3 = storageDue();
      if (l3 <= t && (best < 0 || l3 < pending.get(best).p.dueAt)) {
        clock.advanceTo(l3);
        storageTick.run();
        continue;
      }
      if (best < 0) break;
      complete(best);
    }
    clock.advanceTo(t);
  }

  /**
   * Completes every command in flight (L3 commands included). With TP > 1 their acks still wait for
   * the ranks' agreement at the next {@link HiCache#pollGather}/{@link HiCache#pollApply} round.
   */
  public void drain() {
    while (runNext()) { /* next */ }
  }

  /** Runs commands in due order until {@code condition} holds. */
  @Override public void runUntil(BooleanSupplier condition) {
    while (!condition.getAsBoolean()) {
      if (!runNext()) throw new IllegalStateException("waiting for a condition that no pending command can satisfy");
    }
  }
}
