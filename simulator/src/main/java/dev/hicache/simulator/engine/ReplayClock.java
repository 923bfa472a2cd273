package dev.hicache.simulator.engine;

import dev.hicache.simulator.virtualtime.TieredSimulation;
import java.util.function.LongSupplier;

/**
 * The global virtual time of a replay, for a model shared by all instances (the Mooncake pool):
 * the latest clock among the instances. Instances are advanced together before each arrival, and
 * between arrivals the one serving a request runs ahead of the others by at most that request's
 * time, so this is the time of the call to within one request. A later replay against the same
 * pool (prepopulated L3) continues from where the earlier one stopped, so its leases and eviction
 * passes do not see time run backwards. Not thread-safe (one replay thread).
 */
final class ReplayClock implements LongSupplier {
  private TieredSimulation[][] groups = new TieredSimulation[0][];
  private long base;
  private long last;

  /** Follows these instances from now on (their clocks start at zero). */
  void attach(TieredSimulation[]... instanceGroups) {
    base = last;
    groups = instanceGroups;
  }

  @Override public long getAsLong() {
    long t = 0;
    for (TieredSimulation[] g : groups) {
      for (TieredSimulation s : g) if (s != null) t = Math.max(t, s.now());
    }
    last = Math.max(last, base + t);
    return last;
  }
}
