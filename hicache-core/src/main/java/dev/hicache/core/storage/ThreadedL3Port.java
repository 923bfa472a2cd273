package dev.hicache.core.storage;

import dev.hicache.core.util.Threads;
import dev.hicache.api.PageKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jctools.queues.MpscUnboundedArrayQueue;

/**
 * The L3 port on real threads (the production shell): one daemon thread per lane (queries, reads,
 * writes — SGLang's prefetch thread, prefetch IO thread and backup thread), each taking commands
 * in issue order. Completions go on an MPSC queue that the scheduler thread drains in {@link
 * #poll}. A lane thread catches every failure per command and never dies
 * (docs/behaviour.md#l3-faults).
 */
public final class ThreadedL3Port implements L3Port {
  private sealed interface Done permits QueryDone, ReadDone, WriteDone {}

  private record QueryDone(long op, int hit, Throwable failure) implements Done {}

  private record ReadDone(long op, ReadResult result) implements Done {}

  private record WriteDone(long op, int stored, Throwable failure) implements Done {}

  private final L3PageIo io;
  private final List<LinkedBlockingQueue<Runnable>> lanes = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final MpscUnboundedArrayQueue<Done> completions = new MpscUnboundedArrayQueue<>(256);
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Per command not yet taken by its lane: 0 queued, 2 cancelled; removed when a lane takes it. */
  private final java.util.concurrent.ConcurrentHashMap<Long, AtomicInteger> queued = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean stopping;

  public ThreadedL3Port(L3PageIo io) {
    if (io == null) throw new IllegalArgumentException("io is required");
    this.io = io;
    String[] names = {"query", "read", "write"};
    for (String n : names) {
      LinkedBlockingQueue<Runnable> q = new LinkedBlockingQueue<>();
      lanes.add(q);
      Thread t = Thread.ofPlatform().daemon().name("hicache-l3-" + n).unstarted(() -> laneLoop(q));
      threads.add(t);
      t.start();
    }
  }

  @Override public void query(long op, List<PageKey> keys) {
    List<PageKey> k = List.copyOf(keys);
    submit(0, op, () -> {
      try {
        completions.offer(new QueryDone(op, io.query(k), null));
      } catch (Throwable e) {
        completions.offer(new QueryDone(op, 0, e));
      }
    });
  }

  @Override public void read(long op, List<PageKey> keys, int[] hostPages) {
    List<PageKey> k = List.copyOf(keys);
    int[] hp = hostPages.clone();
    submit(1, op, () -> {
      ReadResult r;
      try {
        r = io.read(k, hp);
      } catch (Throwable e) {
        r = new ReadResult(0, k.size(), false, e);
      }
      completions.offer(new ReadDone(op, r));
    });
  }

  @Override public void write(long op, List<PageKey> keys, int[] hostPages) {
    List<PageKey> k = List.copyOf(keys);
    int[] hp = hostPages.clone();
    submit(2, op, () -> {
      try {
        completions.offer(new WriteDone(op, io.write(k, hp), null));
      } catch (Throwable e) {
        completions.offer(new WriteDone(op, 0, e));
      }
    });
  }

  private void submit(int lane, long op, Runnable r) {
    if (stopping) throw new IllegalStateException("the L3 port is closed");
    inFlight.incrementAndGet();
    AtomicInteger state = new AtomicInteger();
    queued.put(op, state);
    lanes.get(lane).add(() -> {
      queued.remove(op, state);
      if (state.compareAndSet(0, 1)) r.run();
    });
  }

  @Override public boolean cancel(long op) {
    AtomicInteger state = queued.get(op);
    if (state == null || !state.compareAndSet(0, 2)) return false;
    queued.remove(op, state);
    inFlight.decrementAndGet();
    return true;
  }

  private void laneLoop(LinkedBlockingQueue<Runnable> q) {
    while (true) {
      Runnable r;
      try {
        r = q.poll(20, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        if (stopping) return;
        continue;
      }
      if (r == null) {
        if (stopping) return;
        continue;
      }
      r.run();
    }
  }

  @Override public int poll(Listener l) {
    int n = 0;
    Done d;
    while ((d = completions.relaxedPoll()) != null) {
      inFlight.decrementAndGet();
      n++;
      switch (d) {
        case QueryDone q -> l.queried(q.op, q.hit, q.failure);
        case ReadDone r -> l.read(r.op, r.result);
        case WriteDone w -> l.written(w.op, w.stored, w.failure);
      }
    }
    return n;
  }

  @Override public int inFlight() { return inFlight.get(); }

  /** Lets the commands already queued run, then stops the lane threads. Idempotent. */
  @Override public void close() {
    stopping = true;
    Threads.joinAll(threads);
  }
}
