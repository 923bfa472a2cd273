package dev.hicache.simulator.virtualtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;
import dev.hicache.core.sim.SharedLink;
import dev.hicache.core.engine.DeterministicShell;
import dev.hicache.core.sim.ClusterTurns;

/**
 * Several simulated instances ({@link TieredSimulation}s) that act in one global virtual-time
 * order, as they must when they share a link ({@link SharedLink}): whoever's next event is
 * earliest goes first — a copy or L3 completion, a storage tick, or the next step of a request
 * being served — so a transfer instance j starts at time t slows instance i's transfers from t on,
 * whichever instance the driver served first.
 *
 * <p>A request is a <em>job</em> ({@link #submit}) that runs {@link TieredSimulation#submit} on its
 * member's own thread; every wait inside it ({@code advanceTo}, {@code runNext}) takes its turn
 * here. Exactly one thread runs at a time (a baton passed with {@link LockSupport}), and the choice
 * of who runs next depends only on virtual times and member order, so a run is deterministic. Events
 * of members with no job waiting on them are run by whichever thread holds the baton, without a
 * hand-off. Ties: members in the order they were added, the driver (its {@link #runUntil} target)
 * after every member at the same time — so an arrival at t sees everything due at t.
 *
 * <p>The driver is the thread that calls {@link #runUntil}, {@link #submit} and {@link #drain}
 * (cheapest on a virtual thread, as the members' threads are);
 * job callbacks run on the member's thread while it holds the baton, at the job's finish in
 * virtual time, and may {@link #submit} further jobs. Not for concurrent use by several drivers.
 */
public final class VirtualTimeCluster implements AutoCloseable {
  private static final int DRIVER = Integer.MAX_VALUE;

  private record Job<T>(long startNanos, Supplier<T> work, Consumer<T> done) {
    @SuppressWarnings("unchecked")
    void finish(Object result) {
      done.accept((T) result);
    }
  }

  /** A thread that may hold the baton. */
  private static class Party {
    volatile boolean go;
    Thread thread;
  }

  private final class Member extends Party implements ClusterTurns {
    final int index;
    final TieredSimulation sim;
    final DeterministicShell shell;
    final ArrayDeque<Job<?>> queue = new ArrayDeque<>();
    Job<?> current;
    boolean started;    // the current job's thread has begun running it
    boolean waiting;    // the current job waits in await(wish)
    long wish;

    Member(int index, TieredSimulation sim) {
      this.index = index;
      this.sim = sim;
      this.shell = sim.shell();
    }

    @Override public boolean gated() {
      // A member's event run by the scheduler is not a wait of its job, even on its own thread.
      return stepping == 0 && Thread.currentThread() == thread && current != null;
    }

    @Override public void await(long until) {
      wish = until;
      waiting = true;
      schedule(this);
      waiting = false;
    }

    void run() {
      try {
        parkUntilGo(this);
        while (true) {
          Job<?> j = current;
          Object result;
          try {
            result = j.work().get();
          } catch (ClusterClosed e) {
            throw e;
          } catch (Throwable e) {
            fail(e);
            return;
          }
          current = queue.poll();
          started = false;
          try {
            j.finish(result);
          } catch (ClusterClosed e) {
            throw e;
          } catch (Throwable e) {
            fail(e);
            return;
          }
          jobsDone++;
          schedule(this); // returns when this member's next job starts
        }
      } catch (ClusterClosed e) {
        // the cluster closed: this thread ends
      }
    }

    private void fail(Throwable e) {
      if (failure == null) failure = e;
      current = null;
      queue.clear();
      handOff(this, driver); // the driver rethrows; this thread waits for close
    }
  }

  private final List<Member> members = new ArrayList<>();
  private final Party driver = new Party();
  private boolean driverWaiting;
  private long driverWish;
  private long now = Long.MIN_VALUE;
  private volatile Throwable failure;
  private volatile boolean closed;
  private long jobsSubmitted;
  private long jobsDone;
  private long handOffs;
  private long steps;
  private int stepping;

  /** Adds a simulation as the next member (its index is its place in the tie order); it must not run on its own any more. */
  public int add(TieredSimulation sim) {
    Member m = new Member(members.size(), sim);
    sim.shell().joinCluster(m);
    members.add(m);
    return m.index;
  }

  public int size() {
    return members.size();
  }

  /** The global virtual time: of the last event or turn taken. */
  public long now() {
    return now;
  }

  /**
   * Queues a job on {@code member}: once its earlier jobs are done and the global time reaches
   * {@code startNanos}, {@code work} runs on the member's thread, taking turns; {@code done} gets
   * its result at its finish.
   */
  public <T> void submit(int member, long startNanos, Supplier<T> work, Consumer<T> done) {
    Member m = members.get(member);
    if (m.current == null) m.current = new Job<>(startNanos, work, done);
    else m.queue.add(new Job<>(startNanos, work, done));
    jobsSubmitted++;
  }

  /** Jobs submitted and not yet finished on {@code member} (the one it serves included). */
  public int jobs(int member) {
    Member m = members.get(member);
    return (m.current == null ? 0 : 1) + m.queue.size();
  }

  /**
   * Runs, in global time order, every member's events and jobs' steps due at or before {@code t}
   * (a {@code t} already past is the cluster's time: nothing runs).
   */
  public void runUntil(long t) {
    driver.thread = Thread.currentThread();
    driverWish = Math.max(t, now);
    driverWaiting = true;
    try {
      schedule(driver);
    } finally {
      driverWaiting = false;
    }
    rethrow();
  }

  /** Runs until every job has finished and no member has anything in flight. */
  public void drain() {
    runUntil(Long.MAX_VALUE);
  }

  /** Hand-offs between threads so far (a cost figure for benchmarks). */
  public long handOffs() {
    return handOffs;
  }

  /** Member events run by the baton holder without a hand-off. */
  public long steps() {
    return steps;
  }

  private void rethrow() {
    Throwable f = failure;
    if (f == null) return;
    if (f instanceof RuntimeException r) throw r;
    if (f instanceof Error e) throw e;
    throw new IllegalStateException(f);
  }

  /** What the scheduler does for a member whose turn it is. */
  private static final int STEP = 1;      // run its next event on the current thread
  private static final int HAND_OFF = 2;  // its job thread continues

  private long candidateTime;
  private int candidateAction;

  /** The member's next turn: when, and what (sets candidateTime/candidateAction); false if it has nothing to do. */
  private boolean candidate(Member m) {
    long e = m.shell.nextEventNanos();
    if (m.current != null && !m.started) {
      long start = Math.max(m.current.startNanos(), m.shell.now());
      if (e <= start) return set(e, STEP);
      return set(start, HAND_OFF);
    }
    if (m.current != null && m.waiting) {
      if (m.wish == ClusterTurns.NEXT_EVENT) return set(e == Long.MAX_VALUE ? m.shell.now() : e, HAND_OFF);
      if (e < m.wish) return set(e, STEP);
      return set(m.wish, HAND_OFF);
    }
    if (m.current != null) return false; // its thread holds the baton
    if (e == Long.MAX_VALUE) return false;
    return set(e, STEP);
  }

  private boolean set(long t, int action) {
    candidateTime = t;
    candidateAction = action;
    return true;
  }

  /**
   * Runs turns on the calling thread (party {@code self}) until {@code self}'s own turn comes:
   * members' events are run right here; a job whose turn it is, or the driver, gets the baton and
   * this thread waits until the baton comes back, which is its turn.
   */
  private void schedule(Party self) {
    while (true) {
      if (failure != null) {
        if (self == driver) return;
        handOff(self, driver);
        continue;
      }
      Member best = null;
      long bestTime = Long.MAX_VALUE;
      int bestAction = 0;
      for (int i = 0; i < members.size(); i++) {
        Member m = members.get(i);
        if (!candidate(m)) continue;
        if (best == null || candidateTime < bestTime) {
          best = m;
          bestTime = candidateTime;
          bestAction = candidateAction;
        }
      }
      if (best == null || (driverWaiting && driverWish < bestTime)) {
        if (!driverWaiting) throw new IllegalStateException("no member can run and the driver is not waiting");
        advanceNow(driverWish);
        if (self == driver) return;
        handOff(self, driver);
        return; // given back: this member's turn
      }
      advanceNow(bestTime);
      if (bestAction == STEP) {
        steps++;
        stepping++;
        try {
          best.shell.stepOne();
        } finally {
          stepping--;
        }
        continue;
      }
      best.started = true;
      if (best == self) return;
      if (best.thread == null) startThread(best);
      handOff(self, best);
      return; // given back: our turn
    }
  }

  private void advanceNow(long t) {
    if (t == Long.MAX_VALUE) return;
    if (t < now) throw new IllegalStateException("virtual time went backwards: " + t + " < " + now);
    now = t;
  }

  private void startThread(Member m) {
    // Virtual threads: a hand-off is a continuation switch, not an OS wake-up (a default replay on
    // shared links makes about three per request). Best with a driver on a virtual thread too.
    Thread t = Thread.ofVirtual().name("hicache-sim-instance-" + m.index).unstarted(m::run);
    m.thread = t;
    t.start();
  }

  /** Gives the baton to {@code to} and waits until someone gives it back to {@code from}. */
  private void handOff(Party from, Party to) {
    handOffs++;
    to.go = true;
    LockSupport.unpark(to.thread);
    parkUntilGo(from);
  }

  private void parkUntilGo(Party p) {
    while (!p.go) {
      LockSupport.park(this);
      if (closed && p != driver) throw new ClusterClosed();
    }
    p.go = false;
  }

  /** Unwinds a member thread when the cluster closes. */
  private static final class ClusterClosed extends Error {
    ClusterClosed() {
      super(null, null, false, false);
    }
  }

  /** Stops the members' threads (their jobs, if any are unfinished, are abandoned). */
  @Override public void close() {
    closed = true;
    for (Member m : members) {
      if (m.thread != null) {
        m.go = false;
        LockSupport.unpark(m.thread);
      }
    }
  }
}
