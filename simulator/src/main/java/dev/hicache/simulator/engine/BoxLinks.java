package dev.hicache.simulator.engine;

import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.SharedLink;
import dev.hicache.core.sim.L3CostModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The links the instances of a replay share, box by box. A box holds {@code gpus / tp} instances
 * (prefill instances fill boxes in order; PD decode instances fill boxes of their own after them).
 *
 * <ul>
 *   <li>{@code --pcie-link shared}: per direction, one host link of {@code hostLinkGBps} per box,
 *       each GPU's transfer capped at its own {@code pcieGBps}. The engine models one TP rank, and
 *       all {@code tp} ranks of an instance copy at once, so in that rank's terms the host link
 *       moves {@code hostLinkGBps / tp}.
 *   <li>{@code --l3-link shared}: per direction (reads into the box, writes out of it), one link of
 *       the profile's L3 bandwidth per box (the box's NIC to the L3 pool), plain processor sharing.
 * </ul>
 *
 * Both are {@link SharedLink}s: exact processor sharing, re-timed at every join and finish, so
 * the replay runs its instances in one {@link dev.hicache.simulator.virtualtime.VirtualTimeCluster}.
 */
final class BoxLinks {
  private final EngineSetup setup;
  private final int perBox;
  private final int prefillBoxes;
  private final List<SharedLink[]> pcie = new ArrayList<>(); // per box: {D->H, H->D}
  private final List<SharedLink[]> l3 = new ArrayList<>();   // per box: {read, write}

  BoxLinks(EngineSetup setup) {
    this.setup = setup;
    this.perBox = Math.max(1, setup.hardware().gpus() / setup.tp());
    this.prefillBoxes = (setup.instances() + perBox - 1) / perBox;
  }

  /** Whether anything is shared (then the instances must run in one global time order). */
  boolean any() {
    return setup.sharedPcieLink() || (setup.sharedL3Link() && setup.l3Tokens() > 0);
  }

  /** The box of prefill instance {@code i} ({@code decode}: of decode instance {@code i}). */
  int box(int i, boolean decode) {
    return decode ? prefillBoxes + i / perBox : i / perBox;
  }

  /** The copy cost of an instance: its own PCIe link, or its GPU's share of the box's host link. */
  CostModel pcie(int i, boolean decode) {
    if (!setup.sharedPcieLink()) return setup.costModel();
    SharedLink[] l = links(pcie, box(i, decode), b -> {
      double host = setup.hardware().hostLinkGBps() * 1e9 / setup.tp();
      // Each GPU's own rate per direction caps its share (the calibrated copy rates where the profile has them).
      return new SharedLink[] {new SharedLink("host link D->H of box " + b, host, setup.hardware().d2hGBps() * 1e9),
          new SharedLink("host link H->D of box " + b, host, setup.hardware().h2dGBps() * 1e9)};
    });
    return CostModel.shared(l[0], l[1], Math.round(setup.hardware().d2hLatencyUs() * 1000),
        Math.round(setup.hardware().h2dLatencyUs() * 1000));
  }

  /** The L3 cost of an instance: its own link, or the box's shared one. */
  L3CostModel l3(int i, boolean decode) {
    if (!setup.sharedL3Link()) return setup.l3CostModel();
    SharedLink[] l = links(l3, box(i, decode), b -> new SharedLink[] {
        new SharedLink("L3 link (reads) of box " + b, setup.hardware().l3ReadGBps() * 1e9),
        new SharedLink("L3 link (writes) of box " + b, setup.hardware().l3WriteGBps() * 1e9)});
    return new L3CostModel.Shared(l[0], l[1], Math.round(setup.hardware().l3LatencyUs() * 1000),
        setup.shape().bytesPerPage());
  }

  private static SharedLink[] links(List<SharedLink[]> boxes, int box, java.util.function.IntFunction<SharedLink[]> make) {
    while (boxes.size() <= box) boxes.add(null);
    if (boxes.get(box) == null) boxes.set(box, make.apply(box));
    return boxes.get(box);
  }

  /** L3 reads and writes that started while another transfer was on their link. */
  long sharedL3Transfers() {
    return sharedStarts(l3);
  }

  /** Host-side PCIe copies that started while another copy was on their link. */
  long sharedPcieTransfers() {
    return sharedStarts(pcie);
  }

  private static long sharedStarts(List<SharedLink[]> boxes) {
    long n = 0;
    for (SharedLink[] b : boxes) if (b != null) for (SharedLink l : b) n += l.sharedStarts();
    return n;
  }
}
