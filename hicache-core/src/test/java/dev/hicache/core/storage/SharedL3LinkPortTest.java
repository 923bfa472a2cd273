package dev.hicache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.core.sim.SharedLink;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.L3CostModel;

/**
 * Two instances' virtual-time L3 ports on one box's shared links: reads started together share
 * the read link, a write uses the write link and slows no read, each lane stays serial, and a
 * lane's next command starts on the link when the one before it ends.
 */
class SharedL3LinkPortTest {
  private static final int PS = PrefetchRig.PAGE_SIZE;
  private static final long PAGE_BYTES = 1_000_000;  // modelled KV bytes per page
  private static final long LATENCY = 100_000;

  /** Records completions with the time they were delivered at. */
  private static final class Log implements L3Port.Listener {
    final PrefetchRig.VClock clock;
    final List<String> events = new ArrayList<>();

    Log(PrefetchRig.VClock clock) {
      this.clock = clock;
    }

    @Override public void queried(long op, int hitPages, Throwable failure) { events.add("q" + op + "@" + clock.now); }

    @Override public void read(long op, L3Port.ReadResult result) { events.add("r" + op + "@" + clock.now); }

    @Override public void written(long op, int storedPages, Throwable failure) { events.add("w" + op + "@" + clock.now); }
  }

  private static List<PageKey> keys(int from, int pages) {
    int[] t = PrefetchRig.tokens(from, pages * PS);
    return new PageHasher(PS).chain(t);
  }

  /** Moves both ports' clocks to the earlier of their next completions and polls them, until both are idle. */
  private static void runBoth(VirtualTimeL3Port a, Log la, VirtualTimeL3Port b, Log lb) {
    while (true) {
      long t = Math.min(a.nextDueNanos(), b.nextDueNanos());
      if (t == Long.MAX_VALUE) return;
      la.clock.now = Math.max(la.clock.now, t);
      lb.clock.now = Math.max(lb.clock.now, t);
      a.poll(la);
      b.poll(lb);
    }
  }

  @Test void readsShareTheReadLink_writesTheirOwn_lanesStaySerial() {
    SharedLink read = new SharedLink("L3 reads", 1e9), write = new SharedLink("L3 writes", 1e9);
    L3CostModel cost = new L3CostModel.Shared(read, write, LATENCY, PAGE_BYTES);
    MapL3StoreDouble store = new MapL3StoreDouble();
    PrefetchRig.VClock ca = new PrefetchRig.VClock(), cb = new PrefetchRig.VClock();
    VirtualTimeL3Port a = new VirtualTimeL3Port(new L3PageIo(store, null, PS, null), cost, ca);
    VirtualTimeL3Port b = new VirtualTimeL3Port(new L3PageIo(store, null, PS, null), cost, cb);
    Log la = new Log(ca), lb = new Log(cb);
    long solo = LATENCY + 4 * PAGE_BYTES; // 4 pages at 1 GB/s: 4 ms, in ns
    a.read(1, keys(0, 4), new int[4]);
    b.read(2, keys(100, 4), new int[4]);
    b.write(3, keys(200, 4), new int[4]);  // the other direction: alone on the write link
    a.read(4, keys(300, 4), new int[4]);   // waits behind read 1 in a's read lane
    assertThat(a.nextDueNanos()).isEqualTo(LATENCY + 8 * PAGE_BYTES); // two reads at half speed
    runBoth(a, la, b, lb);
    // Reads 1 and 2 share 1 GB/s: 8 ms after the latency. Write 3 is alone: 4 ms. Read 4 starts
    // when read 1 ends and is then alone: its latency, then 4 ms.
    assertThat(la.events).containsExactly("r1@" + (LATENCY + 8 * PAGE_BYTES), "r4@" + (LATENCY + 8 * PAGE_BYTES + solo));
    assertThat(lb.events).containsExactly("w3@" + solo, "r2@" + (LATENCY + 8 * PAGE_BYTES));
    assertThat(read.sharedStarts()).isEqualTo(1);
    assertThat(write.transfers()).isEqualTo(1);
  }

  @Test void queries_payOnlyTheLatency_andUseNoBandwidth() {
    SharedLink read = new SharedLink("L3 reads", 1e9), write = new SharedLink("L3 writes", 1e9);
    L3CostModel cost = new L3CostModel.Shared(read, write, LATENCY, PAGE_BYTES);
    PrefetchRig.VClock c = new PrefetchRig.VClock();
    VirtualTimeL3Port p = new VirtualTimeL3Port(new L3PageIo(new MapL3StoreDouble(), null, PS, null), cost, c);
    Log l = new Log(c);
    p.query(1, keys(0, 200));  // two chunks of 128 keys: two calls
    p.read(2, keys(0, 4), new int[4]);
    runBoth(p, l, p, l);
    assertThat(l.events).containsExactly("q1@" + 2 * LATENCY, "r2@" + (LATENCY + 4 * PAGE_BYTES));
    assertThat(read.transfers()).isEqualTo(1);
  }
}
