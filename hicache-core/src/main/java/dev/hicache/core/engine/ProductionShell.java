package dev.hicache.core.engine;

import dev.hicache.core.util.Threads;
import dev.hicache.api.PageKey;
import dev.hicache.api.spi.DevicePool;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.Transfer;
import dev.hicache.core.pool.HostPageChecksum;
import dev.hicache.core.pool.SlotPages;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpmcUnboundedXaddArrayQueue;
import org.jctools.queues.MpscUnboundedArrayQueue;

/**
 * The controller's ports on real threads: the scheduler thread (the caller of {@link HiCache})
 * puts copy commands on a JCTools queue; I/O threads run them through the {@link DevicePool} SPI,
 * compute the host pages' checksums, mirror a load's layers onto its ticket as they land, and post
 * completions on an MPSC queue that the scheduler thread drains in {@link #drain}.
 */
final class ProductionShell implements TransferPort, AutoCloseable {
  private sealed interface Command permits BackupCmd, LoadCmd {}

  private record BackupCmd(long op, int[] devicePages, int[] hostPages, PageKey[] keys) implements Command {}

  private record LoadCmd(long op, int[] hostPages, int[] devicePages, LoadTicket ticket) implements Command {}

  private record Completion(long op, boolean backup, long[] checksums, Throwable failure) {}

  private final DevicePool device;
  private final HostPool host;
  private final int pageSize;
  private final MpmcUnboundedXaddArrayQueue<Command> commands = new MpmcUnboundedXaddArrayQueue<>(256);
  private final MpscUnboundedArrayQueue<Completion> completions = new MpscUnboundedArrayQueue<>(256);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stopping;

  ProductionShell(DevicePool device, HostPool host, int ioThreads) {
    if (ioThreads < 1) throw new IllegalArgumentException("I/O threads must be >= 1, got " + ioThreads);
    this.device = device;
    this.host = host;
    this.pageSize = device.shape().pageSize();
    for (int i = 0; i < ioThreads; i++) {
      Thread t = Thread.ofPlatform().daemon().name("hicache-io-" + i).unstarted(this::ioLoop);
      threads.add(t);
      t.start();
    }
  }

  @Override public boolean movesBytes() { return true; }

  @Override public int inFlight() { return inFlight.get(); }

  @Override public void backup(long op, int[] devicePages, int[] hostPages, PageKey[] keys) {
    submit(new BackupCmd(op, devicePages, hostPages, keys));
  }

  @Override public void load(long op, int[] hostPages, int[] devicePages, LoadTicket ticket) {
    submit(new LoadCmd(op, hostPages, devicePages, ticket));
  }

  private void submit(Command c) {
    if (stopping) throw new IllegalStateException("the I/O shell is closed");
    inFlight.incrementAndGet();
    commands.offer(c);
  }

  @Override public long checksum(int hostPage, PageKey key) {
    return HostPageChecksum.of(host, hostPage, key);
  }

  /** Scheduler thread: hands every posted completion to the controller; returns how many. */
  int drain(CacheController controller) {
    int n = 0;
    Completion c;
    while ((c = completions.relaxedPoll()) != null) {
      inFlight.decrementAndGet();
      n++;
      if (c.backup) controller.backupDone(c.op, c.checksums, c.failure);
      else controller.loadDone(c.op, c.failure);
    }
    return n;
  }

  private void ioLoop() {
    int idle = 0;
    while (true) {
      Command c = commands.poll();
      if (c == null) {
        if (stopping) return;
        // Back off: spin briefly, then yield, then park; a copy command is worth microseconds.
        if (++idle < 64) Thread.onSpinWait();
        else if (idle < 128) Thread.yield();
        else LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        continue;
      }
      idle = 0;
      completions.offer(run(c));
    }
  }

  private Completion run(Command c) {
    try {
      return switch (c) {
        case BackupCmd b -> {
          Transfer t = device.backup(SlotPages.slots(b.devicePages, pageSize), host, SlotPages.slots(b.hostPages, pageSize));
          t.await();
          if (t.failure() != null) yield new Completion(b.op, true, null, t.failure());
          long[] sums = new long[b.hostPages.length];
          for (int i = 0; i < sums.length; i++) sums[i] = HostPageChecksum.of(host, b.hostPages[i], b.keys[i]);
          yield new Completion(b.op, true, sums, null);
        }
        case LoadCmd l -> {
          Transfer t = device.load(SlotPages.slots(l.hostPages, pageSize), host, SlotPages.slots(l.devicePages, pageSize));
          for (int layer = 0; layer < t.layers() && t.failure() == null; layer++) {
            t.awaitLayer(layer);
            if (t.failure() == null) l.ticket.progress.layersLanded(Math.max(l.ticket.layersDone(), layer + 1));
          }
          yield new Completion(l.op, false, null, t.failure());
        }
      };
    } catch (Throwable e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      return new Completion(c instanceof BackupCmd b ? b.op : ((LoadCmd) c).op, c instanceof BackupCmd, null, e);
    }
  }

  /** Stops the I/O threads after the commands already queued have run. */
  @Override public void close() {
    stopping = true;
    Threads.joinAll(threads);
  }
}
