package dev.hicache.core.engine;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tokens;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.metrics.MetricLabels;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.HintResult.Hint;
import dev.hicache.core.engine.HintResult.Reason;
import dev.hicache.core.storage.PrefetchOperation;
import dev.hicache.core.storage.StorageController;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.MatchResult;
import dev.hicache.core.tree.TreeNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Cache-control hints (docs/engine-integration.md#cache-control): pin, unpin, prefetch and demote a
 * prefix. Part of the single-threaded core, next to the {@link CacheController}: it acts only
 * through the tree's own locks and protections, the controller's backups and the storage
 * controller's prefetches, so every invariant those keep still holds, and a hint can never make a
 * request fail or read wrong bytes.
 *
 * <p>A pin locks the device part of the prefix (as a running request locks its prefix) and protects
 * its host-only continuation (as a prefetch protects its anchor). Pins are bounded by a share of each
 * tier, yield to a request that could not fit on the device beside them, and end at their deadline
 * on the cache's clock; with TP > 1 the ranks agree when (docs/behaviour.md#tp-consensus).
 */
final class CacheControl {
  /**
   * Prefetch hints run under request ids from here on up: far below any id an engine gives
   * ({@link HiCache#enqueue} refuses ids at or below {@link #HINT_RID_LIMIT}).
   */
  static final long HINT_RID_BASE = Long.MIN_VALUE / 2;
  static final long HINT_RID_LIMIT = Long.MIN_VALUE / 4;

  private static final String HINTS = HiCacheMetric.HINTS.key();
  private static final String HINT_PAGES = HiCacheMetric.HINT_PAGES.key();
  private static final String NOT_APPLIED = HiCacheMetric.HINTS_NOT_APPLIED.key();
  private static final String PINNED_PAGES = HiCacheMetric.PINNED_PAGES.key();
  private static final String PINS_ENDED = HiCacheMetric.PINS_ENDED.key();
  private static final String HINT_PREFETCHED = HiCacheMetric.HINT_PREFETCHED_TOKENS.key();

  /** Why a pin ended: the label of {@code hicache_pins_ended}. */
  static final String EXPIRED = "expired", UNPINNED = "unpinned", YIELDED = "yielded";

  private final CacheController controller;
  private final HiRadixTree tree;
  private final int ps;
  private final Clock clock;
  private final MetricsSink metrics;
  private final double share;
  private final int deviceBudget;
  private final int hostBudget;
  /** TP > 1: deadlines are read from each rank's own clock, so pins end only when the ranks agree. */
  private boolean agreedExpiry;

  /** Live pins in the order they were made (a renewal moves a pin to the end). */
  private final LinkedHashMap<Key, Pin> pins = new LinkedHashMap<>();
  private long nextDeadline = Long.MAX_VALUE;
  private long nextSeq;
  private final LinkedHashMap<Key, PrefetchOperation> hintPrefetches = new LinkedHashMap<>();
  private long nextHintRid = HINT_RID_BASE;
  private final List<PendingDemote> pendingDemotes = new ArrayList<>();

  /** One pin: the prefix, its namespace, its deadline, and the two nodes whose lock and protection hold it. */
  static final class Pin {
    final int[] tokens;
    /** The namespace the hint named (null: the default one), as given: {@link HiCache#pins} reports it. */
    final Namespace namespace;
    final long seq;
    final long deadline;
    /** Locked: it and its ancestors stay on the device. Null when no device page is pinned. */
    final TreeNode deviceNode;
    /** Host-protected: the host-only run from below {@link #deviceNode} down to it stays in L2. Null when none. */
    final TreeNode hostNode;
    final int devicePages;
    final int hostPages;

    Pin(int[] tokens, Namespace namespace, long seq, long deadline, TreeNode deviceNode, TreeNode hostNode,
        int devicePages, int hostPages) {
      this.tokens = tokens; this.namespace = namespace; this.seq = seq; this.deadline = deadline; this.deviceNode = deviceNode;
      this.hostNode = hostNode; this.devicePages = devicePages; this.hostPages = hostPages;
    }
  }

  /** A demote waiting for backups it issued (or found in flight): it moves the rest once they are acknowledged. */
  private record PendingDemote(int[] tokens, PageKey seed, List<TreeNode> awaited) {}

  /** A page-aligned prefix in a namespace (its seed; null: the default one) as a map key. */
  private static final class Key {
    final int[] t;
    final PageKey seed;
    final int hash;

    Key(int[] t, PageKey seed) { this.t = t; this.seed = seed; this.hash = Arrays.hashCode(t) * 31 + Objects.hashCode(seed); }

    @Override public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(t, k.t) && Objects.equals(seed, k.seed);
    }

    @Override public int hashCode() { return hash; }
  }

  /**
   * @param share the most each tier may hold pinned, as a share of its capacity: in [0, 1)
   */
  CacheControl(CacheController controller, double share, Clock clock, MetricsSink metrics) {
    if (!(share >= 0) || !(share < 1)) {
      throw new IllegalArgumentException("HiCache.Builder.pinnedShare must be in [0, 1) (a tier must never be all"
          + " pinned), got " + share);
    }
    this.controller = controller;
    this.tree = controller.tree();
    this.ps = tree.pageSize();
    this.clock = clock;
    this.metrics = metrics;
    this.share = share;
    this.deviceBudget = (int) Math.floor(share * controller.deviceCapacityPages());
    this.hostBudget = (int) Math.floor(share * controller.hostCapacityPages());
  }

  /** TP > 1: pins end by the ranks' agreement ({@link #dueVote}, {@link #applyAgreedExpiry}), never by one rank's clock. */
  void agreeExpiryAcrossRanks() {
    agreedExpiry = true;
  }

  double share() { return share; }

  int deviceBudgetPages() { return deviceBudget; }

  int hostBudgetPages() { return hostBudget; }

  // ---------------------------------------------------------------- pin and unpin

  /**
   * The namespace as the tree keys it: null for the default one (no namespace, one with neither
   * part, or one whose seed is the cache's own default seed), else its seed.
   */
  private PageKey seedOf(Namespace namespace) {
    PageKey seed = namespace == null ? null : namespace.seed();
    return seed == null || seed.equals(tree.root().namespaceSeed()) ? null : seed;
  }

  HintResult pin(int[] tokens, long ttlNanos, Namespace namespace) {
    requireTokens("pin", tokens);
    if (ttlNanos <= 0) throw new IllegalArgumentException("pin: the time to live must be positive, got " + ttlNanos + " ns");
    metrics.count(HINTS, Hint.PIN.label(), 1);
    int aligned = Tokens.pageAligned(tokens.length, ps);
    int requested = aligned / ps;
    expireDue();
    if (requested == 0) return done(Hint.PIN, 0, 0, Reason.NOT_CACHED);
    int[] prefix = Arrays.copyOf(tokens, aligned);
    PageKey seed = seedOf(namespace);
    Key key = new Key(prefix, seed);
    Pin old = pins.remove(key);
    if (old != null) release(old); // a renewal: the old pin's pages count for the new one again
    MatchResult m = tree.matchPrefix(seed, prefix, aligned);
    int devicePages = m.devicePrefixPages();
    int clean = controller.cleanDevicePrefix(m.devicePages());
    // A failed load-back's pages are never served; pinning them would keep the prefix uncacheable.
    int matched = clean < devicePages ? clean : devicePages + m.hostHitPages();
    int deviceEnd = Math.min(devicePages, matched);
    List<TreeNode> path = pathTo(m.hostHitPages() > 0 && clean == devicePages ? m.lastHostNode() : m.lastDeviceNode());
    Set<TreeNode> deviceUnion = deviceUnion();
    Set<TreeNode> hostUnion = hostUnion();
    int deviceFree = Math.max(0, deviceBudget - pages(deviceUnion));
    int hostFree = Math.max(0, hostBudget - pages(hostUnion));
    // The leading pages that fit: pages another pin already holds in the same tier cost nothing.
    int cut = 0;
    boolean budgetCut = false;
    for (TreeNode n : path) {
      int np = n.pages();
      if (cut + np > matched) np = matched - cut;
      if (np <= 0) break;
      boolean device = cut < deviceEnd;
      if (!(device ? deviceUnion : hostUnion).contains(n)) {
        int free = device ? deviceFree : hostFree;
        if (np > free) {
          cut += free;
          budgetCut = true;
          break;
        }
        if (device) deviceFree -= np;
        else hostFree -= np;
      }
      cut += np;
    }
    if (cut == 0) {
      if (old != null) gauges();
      return done(Hint.PIN, requested, 0, budgetCut ? Reason.BUDGET_EXHAUSTED : Reason.NOT_CACHED);
    }
    if (cut < devicePages + m.hostHitPages()) m = tree.matchPrefix(seed, prefix, cut * ps); // split at the cut
    int pinnedDevice = Math.min(cut, deviceEnd);
    TreeNode deviceNode = pinnedDevice == 0 ? null : m.lastDeviceNode();
    TreeNode hostNode = cut > pinnedDevice ? m.lastHostNode() : null;
    if (deviceNode != null) tree.incLockRef(deviceNode);
    if (hostNode != null) tree.protectHost(hostNode);
    long now = clock.nanos();
    long deadline = ttlNanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ttlNanos;
    pins.put(key, new Pin(prefix, namespace, nextSeq++, deadline, deviceNode, hostNode, pinnedDevice, cut - pinnedDevice));
    nextDeadline = Math.min(nextDeadline, deadline);
    gauges();
    metrics.count(HINT_PAGES, Hint.PIN.label(), cut);
    Reason why = cut == requested ? Reason.APPLIED : budgetCut ? Reason.BUDGET_EXHAUSTED : Reason.NOT_CACHED;
    return done(Hint.PIN, requested, cut, why);
  }

  HintResult unpin(int[] tokens, Namespace namespace) {
    requireTokens("unpin", tokens);
    metrics.count(HINTS, Hint.UNPIN.label(), 1);
    int aligned = Tokens.pageAligned(tokens.length, ps);
    expireDue();
    Pin p = pins.remove(new Key(Arrays.copyOf(tokens, aligned), seedOf(namespace)));
    if (p == null) return done(Hint.UNPIN, aligned / ps, 0, Reason.NOT_PINNED);
    end(p, UNPINNED);
    metrics.count(HINT_PAGES, Hint.UNPIN.label(), p.devicePages + p.hostPages);
    return done(Hint.UNPIN, aligned / ps, p.devicePages + p.hostPages, Reason.APPLIED);
  }

  /** The live pins, in the order they were made. */
  List<HiCache.PinnedPrefix> pins() {
    expireDue();
    List<HiCache.PinnedPrefix> out = new ArrayList<>(pins.size());
    for (Pin p : pins.values()) {
      out.add(new HiCache.PinnedPrefix(p.tokens.clone(), p.namespace, p.devicePages, p.hostPages, p.deadline));
    }
    return out;
  }

  /** Ends every pin whose deadline has passed (single rank; with TP > 1 only agreed expiries end pins). */
  void expireDue() {
    if (agreedExpiry || pins.isEmpty()) return;
    long now = clock.nanos();
    if (now < nextDeadline) return;
    long next = Long.MAX_VALUE;
    for (Iterator<Pin> it = pins.values().iterator(); it.hasNext(); ) {
      Pin p = it.next();
      if (p.deadline <= now) {
        it.remove();
        end(p, EXPIRED);
      } else {
        next = Math.min(next, p.deadline);
      }
    }
    nextDeadline = next;
  }

  /** This rank's vote: how many pins, from the oldest on, have reached their deadline here. */
  long dueVote() {
    long now = clock.nanos();
    long n = 0;
    for (Pin p : pins.values()) {
      if (p.deadline > now) break;
      n++;
    }
    return n;
  }

  /** Ends the agreed number of pins, oldest first (every rank has passed their deadlines). */
  void applyAgreedExpiry(long agreed) {
    if (agreed > pins.size()) {
      throw new IllegalStateException("TP ranks agreed to end " + agreed + " pins, this rank has " + pins.size()
          + ": a hint ran on some ranks only");
    }
    Iterator<Pin> it = pins.values().iterator();
    for (long k = 0; k < agreed; k++) {
      Pin p = it.next();
      it.remove();
      end(p, EXPIRED);
    }
  }

  /**
   * A request's extend found no room, and the request will hold {@code totalPages} device pages:
   * when that is more than the device holds beside the pages only pins hold, the pins would starve
   * it for as long as they last, so the oldest pin holding such pages ends (true). False when the
   * request fits beside the pins (the room it lacks is held by other requests or copies in flight,
   * which end on their own), or no pin can give way.
   */
  boolean yieldFor(long totalPages) {
    if (pins.isEmpty()) return false;
    Map<TreeNode, Integer> pinLocks = pinLocks();
    if (totalPages <= controller.deviceCapacityPages() - pinOnlyPages(pinLocks)) return false;
    for (Iterator<Pin> it = pins.values().iterator(); it.hasNext(); ) {
      Pin p = it.next();
      if (p.deviceNode == null || p.deviceNode.lockRef() > pinLocks.get(p.deviceNode)) continue;
      it.remove();
      end(p, YIELDED);
      return true;
    }
    return false;
  }

  /** Per pinned device node: the locks on it that are pins' (its own and its descendants'). */
  private Map<TreeNode, Integer> pinLocks() {
    Map<TreeNode, Integer> m = new IdentityHashMap<>();
    for (Pin p : pins.values()) {
      for (TreeNode n = p.deviceNode; n != null && !n.isRoot(); n = n.parent()) m.merge(n, 1, Integer::sum);
    }
    return m;
  }

  /** Device pages that nothing but pins holds (no request, load or copy). */
  int pinOnlyPages() {
    return pinOnlyPages(pinLocks());
  }

  private static int pinOnlyPages(Map<TreeNode, Integer> pinLocks) {
    int n = 0;
    for (Map.Entry<TreeNode, Integer> e : pinLocks.entrySet()) {
      if (e.getKey().lockRef() == e.getValue()) n += e.getKey().pages();
    }
    return n;
  }

  private void end(Pin p, String why) {
    release(p);
    metrics.count(PINS_ENDED, why, 1);
    if (p.deadline == nextDeadline) nextDeadline = recomputeNextDeadline();
    gauges();
  }

  private long recomputeNextDeadline() {
    long next = Long.MAX_VALUE;
    for (Pin p : pins.values()) next = Math.min(next, p.deadline);
    return next;
  }

  private void release(Pin p) {
    if (p.deviceNode != null) tree.decLockRef(p.deviceNode);
    if (p.hostNode != null) tree.releaseHost(p.hostNode);
  }

  /** Pins whose device node is exactly {@code n}: the locks on a node without device children that are pins'. */
  private int pinsAt(TreeNode n) {
    int k = 0;
    for (Pin p : pins.values()) if (p.deviceNode == n) k++;
    return k;
  }

  /** Nodes whose device pages a pin holds: every ancestor-or-self of a pin's device node. */
  Set<TreeNode> deviceUnion() {
    Set<TreeNode> s = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Pin p : pins.values()) {
      for (TreeNode n = p.deviceNode; n != null && !n.isRoot() && s.add(n); n = n.parent()) { /* up */ }
    }
    return s;
  }

  /** Nodes whose host pages a pin holds: from each pin's host node up to (not into) its device part. */
  Set<TreeNode> hostUnion() {
    Set<TreeNode> s = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Pin p : pins.values()) {
      for (TreeNode n = p.hostNode; n != null && !n.isRoot() && n != p.deviceNode; n = n.parent()) s.add(n);
    }
    return s;
  }

  private static int pages(Set<TreeNode> nodes) {
    int n = 0;
    for (TreeNode x : nodes) n += x.pages();
    return n;
  }

  private void gauges() {
    metrics.gauge(PINNED_PAGES, MetricLabels.DEVICE, pages(deviceUnion()));
    metrics.gauge(PINNED_PAGES, MetricLabels.HOST, pages(hostUnion()));
  }

  /** Root excluded, top-down. */
  private static List<TreeNode> pathTo(TreeNode node) {
    ArrayList<TreeNode> path = new ArrayList<>();
    for (TreeNode n = node; n != null && !n.isRoot(); n = n.parent()) path.add(n);
    Collections.reverse(path);
    return path;
  }

  // ---------------------------------------------------------------- prefetch

  HintResult prefetch(int[] tokens, Namespace namespace) {
    requireTokens("prefetch", tokens);
    metrics.count(HINTS, Hint.PREFETCH.label(), 1);
    expireDue();
    collectPrefetches();
    int aligned = Tokens.pageAligned(tokens.length, ps);
    int requested = aligned / ps;
    StorageController sc = controller.storage();
    if (sc == null) return done(Hint.PREFETCH, requested, 0, controller.hostCapacityPages() == 0 ? Reason.NO_HOST_TIER : Reason.NO_L3);
    if (requested == 0) return done(Hint.PREFETCH, 0, 0, Reason.BELOW_THRESHOLD);
    int[] prefix = Arrays.copyOf(tokens, aligned);
    PageKey seed = seedOf(namespace);
    Key key = new Key(prefix, seed);
    if (hintPrefetches.containsKey(key)) return done(Hint.PREFETCH, requested, 0, Reason.ALREADY_PREFETCHING);
    if (cachedPages(prefix, seed) == requested) return done(Hint.PREFETCH, requested, 0, Reason.ALREADY_CACHED);
    PrefetchOperation op = sc.prefetchHint(nextHintRid++, prefix, aligned, seed);
    if (op == null) {
      Reason why = switch (String.valueOf(sc.lastSkipGate())) {
        case "rate_limited" -> Reason.RATE_LIMITED;
        case "broken_chain" -> Reason.BROKEN_CHAIN;
        case "no_host_memory" -> Reason.NO_HOST_MEMORY;
        default -> Reason.BELOW_THRESHOLD;
      };
      return done(Hint.PREFETCH, requested, 0, why);
    }
    hintPrefetches.put(key, op);
    int pages = op.requestedTokens() / ps;
    metrics.count(HINT_PAGES, Hint.PREFETCH.label(), pages);
    return done(Hint.PREFETCH, requested, pages, Reason.APPLIED);
  }

  /** Counts what ended prefetch hints brought in, and forgets them. */
  private void collectPrefetches() {
    if (hintPrefetches.isEmpty()) return;
    StorageController sc = controller.storage();
    for (Iterator<PrefetchOperation> it = hintPrefetches.values().iterator(); it.hasNext(); ) {
      PrefetchOperation op = it.next();
      if (!op.state().isFinal()) continue;
      it.remove();
      int inserted = sc.takeStorageHitTokens(op.rid());
      if (inserted > 0) metrics.count(HINT_PREFETCHED, inserted);
    }
  }

  /** Prefetch hints still running. */
  int livePrefetchHints() {
    collectPrefetches();
    return hintPrefetches.size();
  }

  /** Full pages of {@code prefix} the tree holds in any tier, without touching or splitting anything. */
  private int cachedPages(int[] prefix, PageKey seed) {
    int pos = 0;
    for (TreeNode n : walk(prefix, seed)) {
      int k = Math.min(n.tokens(), prefix.length - pos);
      int mm = n.keyMismatch(k, prefix, pos);
      pos += mm < 0 ? k : mm / ps * ps;
    }
    return pos / ps;
  }

  /**
   * The nodes the prefix passes through, top-down, without touching or splitting: each shares at
   * least its first page with the prefix; the last may end past it or branch off inside it.
   */
  private List<TreeNode> walk(int[] prefix, PageKey seed) {
    List<TreeNode> out = new ArrayList<>();
    TreeNode node = tree.namespaceRoot(seed);
    if (node == null) return out; // the namespace holds nothing
    int pos = 0;
    while (pos + ps <= prefix.length) {
      TreeNode next = null;
      for (TreeNode c : node.children()) {
        if (c.keyMismatch(ps, prefix, pos) < 0) {
          next = c;
          break;
        }
      }
      if (next == null) break;
      out.add(next);
      int k = Math.min(next.tokens(), prefix.length - pos);
      if (k < next.tokens() || next.keyMismatch(k, prefix, pos) >= 0) break;
      pos += k;
      node = next;
    }
    return out;
  }

  // ---------------------------------------------------------------- demote

  HintResult demote(int[] tokens, Namespace namespace) {
    requireTokens("demote", tokens);
    metrics.count(HINTS, Hint.DEMOTE.label(), 1);
    expireDue();
    int aligned = Tokens.pageAligned(tokens.length, ps);
    int requested = aligned / ps;
    if (controller.hostCapacityPages() == 0) return done(Hint.DEMOTE, requested, 0, Reason.NO_HOST_TIER);
    int[] prefix = Arrays.copyOf(tokens, aligned);
    PageKey seed = seedOf(namespace);
    List<TreeNode> awaited = new ArrayList<>();
    Demoted d = demoteNow(prefix, seed, true, awaited);
    if (!awaited.isEmpty()) pendingDemotes.add(new PendingDemote(prefix, seed, awaited));
    if (d.pages > 0) metrics.count(HINT_PAGES, Hint.DEMOTE.label(), d.pages);
    return done(Hint.DEMOTE, requested, d.pages, d.reason);
  }

  private record Demoted(int pages, Reason reason) {}

  /**
   * Moves off the device every page of the prefix that no other device-resident sequence needs,
   * and every cached sequence that extends the whole prefix, bottom-up: backuped, unlocked nodes
   * become host-only at once; nodes without a host copy get one first (when {@code backups}) and
   * leave once it is acknowledged ({@code awaited} collects what to wait for).
   */
  private Demoted demoteNow(int[] prefix, PageKey seed, boolean backups, List<TreeNode> awaited) {
    List<TreeNode> path = walk(prefix, seed);
    if (path.isEmpty() || path.getFirst().evicted()) return new Demoted(0, Reason.NOT_CACHED);
    TreeNode last = path.getLast();
    int start = 0;
    for (TreeNode n : path) start += n.tokens();
    start -= last.tokens();
    boolean shares = sharesAll(last, prefix, start);
    // The prefix ends inside (or at the end of) its last node: that node and everything below it
    // extend the whole prefix. Otherwise the last node is the end of what is cached of it.
    boolean wholePrefix = shares && start + Math.min(last.tokens(), prefix.length - start) == prefix.length;
    Map<TreeNode, Reason> stays = new IdentityHashMap<>();
    List<TreeNode> order = new ArrayList<>(); // bottom-up: children before their parents
    if (wholePrefix) postOrder(last, order);
    else if (!shares) stays.put(last, Reason.SHARED); // it branches off inside: the rest is another sequence's
    else order.add(last);
    for (int i = path.size() - 2; i >= 0; i--) order.add(path.get(i));
    Set<TreeNode> leaving = Collections.newSetFromMap(new IdentityHashMap<>());
    List<TreeNode> needBackup = new ArrayList<>();
    for (TreeNode n : order) {
      if (n.evicted()) continue;
      Reason blocked = null;
      for (TreeNode c : n.children()) {
        if (c.evicted() || leaving.contains(c)) continue;
        Reason r = stays.get(c);
        blocked = r != null ? r : Reason.SHARED; // a device child outside the prefix: another sequence needs n
        break;
      }
      if (blocked != null) {
        stays.put(n, blocked);
        continue;
      }
      int pinned = pinsAt(n);
      if (n.writeBackInFlight() || (n.lockRef() > pinned && n.backuped() && controller.hostCopyPending(n))) {
        stays.put(n, Reason.PENDING); // its copy to the host is in flight: it may leave at the ack
        awaited.add(n);
      } else if (n.lockRef() > pinned) {
        stays.put(n, Reason.IN_USE);
      } else if (pinned > 0) {
        stays.put(n, Reason.PINNED);
      } else if (!n.backuped()) {
        // Its only copy is on the device: copy it down first, it leaves at the ack.
        stays.put(n, backups ? Reason.PENDING : Reason.NO_HOST_MEMORY);
        if (backups) needBackup.add(n);
      } else {
        leaving.add(n);
      }
    }
    // Backups first: their host allocations may evict host-only leaves, never a node demoted here.
    for (TreeNode n : needBackup) {
      if (controller.backupForDemote(n)) awaited.add(n);
      else stays.put(n, Reason.NO_HOST_MEMORY);
    }
    int moved = 0;
    for (TreeNode n : order) {
      if (!leaving.contains(n)) continue;
      int freed = tree.evictDeviceNode(n, controller);
      if (freed == 0) stays.put(n, Reason.IN_USE); // cannot happen: it qualified a moment ago
      moved += freed;
    }
    for (TreeNode n : path) {
      if (!n.evicted()) return new Demoted(moved, stays.getOrDefault(n, Reason.IN_USE));
    }
    return new Demoted(moved, Reason.APPLIED);
  }

  /** Whether the node's key agrees with the prefix wherever both have tokens. */
  private static boolean sharesAll(TreeNode n, int[] prefix, int from) {
    int k = Math.min(n.tokens(), prefix.length - from);
    return n.keyMismatch(k, prefix, from) < 0;
  }

  private static void postOrder(TreeNode n, List<TreeNode> out) {
    if (n.evicted()) return; // device residency is ancestor-closed: nothing below is on the device
    for (TreeNode c : n.children()) postOrder(c, out);
    out.add(n);
  }

  // ---------------------------------------------------------------- the scheduler iteration

  /**
   * Once per {@link HiCache#poll}: pins past their deadline end (single rank), demotes whose
   * backups are acknowledged move the rest, ended prefetch hints are counted.
   */
  void poll() {
    expireDue();
    collectPrefetches();
    if (pendingDemotes.isEmpty()) return;
    for (Iterator<PendingDemote> it = pendingDemotes.iterator(); it.hasNext(); ) {
      PendingDemote d = it.next();
      boolean waiting = false;
      for (TreeNode n : d.awaited()) {
        if (!n.removed() && !n.evicted() && (n.writeBackInFlight() || (n.backuped() && controller.hostCopyPending(n)))) {
          waiting = true;
          break;
        }
      }
      if (waiting) continue;
      it.remove();
      Demoted moved = demoteNow(d.tokens(), d.seed(), false, new ArrayList<>());
      if (moved.pages > 0) metrics.count(HINT_PAGES, Hint.DEMOTE.label(), moved.pages);
    }
  }

  /** Demotes still waiting for their backups. */
  int pendingDemotes() { return pendingDemotes.size(); }

  // ---------------------------------------------------------------- checks

  /**
   * Every pin's pages are where it pinned them and the pins stay within their budgets; throws
   * IllegalStateException describing the first violation. O(pins x depth): tests.
   */
  void checkInvariants() {
    for (Pin p : pins.values()) {
      if (p.deviceNode != null) {
        if (p.deviceNode.removed() || p.deviceNode.evicted() || p.deviceNode.lockRef() < pinsAt(p.deviceNode)) {
          throw new IllegalStateException("pin of " + p.tokens.length + " tokens lost its device node " + p.deviceNode);
        }
        if (tree.prefixPages(p.deviceNode) != p.devicePages) {
          throw new IllegalStateException("pin of " + p.tokens.length + " tokens holds " + tree.prefixPages(p.deviceNode)
              + " device pages, recorded " + p.devicePages);
        }
      }
      if (p.hostNode != null) {
        if (p.hostNode.removed() || p.hostNode.hostRefCounter() <= 0) {
          throw new IllegalStateException("pin of " + p.tokens.length + " tokens lost its host node " + p.hostNode);
        }
        for (TreeNode n = p.hostNode; n != p.deviceNode && !n.isRoot(); n = n.parent()) {
          if (!n.backuped()) throw new IllegalStateException("pinned host span has a node without host copy: " + n);
        }
        if (tree.prefixPages(p.hostNode) != p.devicePages + p.hostPages) {
          throw new IllegalStateException("pin of " + p.tokens.length + " tokens spans " + tree.prefixPages(p.hostNode)
              + " pages, recorded " + (p.devicePages + p.hostPages));
        }
      }
    }
    int d = pages(deviceUnion()), h = pages(hostUnion());
    if (d > deviceBudget || h > hostBudget) {
      throw new IllegalStateException("pins hold " + d + " device and " + h + " host pages, budgets " + deviceBudget
          + " and " + hostBudget);
    }
  }

  // ---------------------------------------------------------------- helpers

  private HintResult done(Hint hint, int requested, int applied, Reason why) {
    if (why != Reason.APPLIED) metrics.count(NOT_APPLIED, why.label(), 1);
    return new HintResult(hint, requested, applied, why);
  }

  private static void requireTokens(String hint, int[] tokens) {
    if (tokens == null) throw new IllegalArgumentException(hint + ": tokens must not be null");
  }
}
