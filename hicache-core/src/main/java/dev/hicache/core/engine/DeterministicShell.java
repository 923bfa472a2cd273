package dev.hicache.core.engine;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.DevicePool;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.Transfer;
import dev.hicache.core.pool.PageChecksum;
import dev.hicache.core.pool.SlotPages;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The controller's ports in virtual time: a discrete-event loop where each copy command completes
 * when the {@link CostModel} says (each direction is one serial link, like SGLang's write and load
 * streams), or in any order a test chooses ({@link #complete(int)}). With pools, bytes really move
 * — at completion time, through the same {@link DevicePool} SPI as in production — so a test can
 * check every byte; without pools (simulation) only time and metadata move.
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

  private record Cmd(Pending p, int[] devicePages, int[] hostPages, PageKey[] keys, LoadTicket ticket) {}

  private final VirtualClock clock = new VirtualClock();
  private final CostModel cost;
  private final long bytesPerPage;
  private final DevicePool devicePool;
  private final HostPool hostPool;
  private final int pageSize;
  private final List<Cmd> pending = new ArrayList<>();
  private long writeLinkFreeAt;
  private long loadLinkFreeAt;
  private CacheController controller;
  private long completed;
  private LongSupplier storageNextDue;
  private Runnable storageTick;

  DeterministicShell(CostModel cost, long bytesPerPage, int pageSize, DevicePool devicePool, HostPool hostPool) {
    this.cost = cost;
    this.bytesPerPage = bytesPerPage;
    this.pageSize = pageSize;
    this.devicePool = devicePool;
    this.hostPool = hostPool;
  }

  void bind(CacheController c) {
    this.controller = c;
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
    for (Cmd c : pending) out.add(c.p);
    return out;
  }

  @Override public int inFlight() { return pending.size(); }

  /** Commands completed so far. */
  public long completed() { return completed; }

  @Override public boolean movesBytes() { return devicePool != null; }

  @Override public void backup(long op, int[] devicePages, int[] hostPages, PageKey[] keys) {
    long start = Math.max(clock.now, writeLinkFreeAt);
    long due = start + cost.deviceToHostNanos(devicePages.length * bytesPerPage);
    writeLinkFreeAt = due;
    pending.add(new Cmd(new Pending(op, true, devicePages.length, clock.now, due), devicePages, hostPages, keys, null));
  }

  @Override public void load(long op, int[] hostPages, int[] devicePages, LoadTicket ticket) {
    long start = Math.max(clock.now, loadLinkFreeAt);
    long due = start + cost.hostToDeviceNanos(devicePages.length * bytesPerPage);
    loadLinkFreeAt = due;
    ticket.virtualStart = start;
    ticket.virtualDue = due;
    pending.add(new Cmd(new Pending(op, false, devicePages.length, clock.now, due), devicePages, hostPages, null, ticket));
  }

  @Override public long checksum(int hostPage, PageKey key) {
    return PageChecksum.of(hostPool, hostPage, key);
  }

  /** Completes the command due first (ties in issue order), advancing virtual time to it; false if none. */
  public boolean runNext() {
    int best = -1;
    for (int i = 0; i < pending.size(); i++) if (best < 0 || pending.get(i).p.dueAt < pending.get(best).p.dueAt) best = i;
    long l3 = storageDue();
    if (best < 0 && l3 == Long.MAX_VALUE) return false;
    if (best < 0 || l3 < pending.get(best).p.dueAt) {
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
    Cmd c = pending.remove(index);
    clock.advanceTo(c.p.dueAt);
    completed++;
    if (c.p.backup) {
      long[] sums = null;
      Throwable failure = null;
      if (devicePool != null) {
        Transfer t = devicePool.backup(SlotPages.slots(c.devicePages, pageSize), hostPool, SlotPages.slots(c.hostPages, pageSize));
        failure = awaitQuietly(t);
        if (failure == null) {
          sums = new long[c.hostPages.length];
          for (int i = 0; i < sums.length; i++) sums[i] = PageChecksum.of(hostPool, c.hostPages[i], c.keys[i]);
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
