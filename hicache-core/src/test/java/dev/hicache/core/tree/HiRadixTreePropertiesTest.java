package dev.hicache.core.tree;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.WritePolicyKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import dev.hicache.core.sim.MatchTouch;

/**
 * The tree against a reference model: a map from page-sequence prefixes to where each page's KV
 * lives (device page id, host page id), driven by generated sequences of operations. After every
 * step the tree's invariants are checked and its content must equal the model's.
 *
 * <p>Runs {@value #DEFAULT_EXAMPLES} scenarios by default; more with {@code
 * -Dhicache.pbt.examples=N} (and another seed with {@code -Dhicache.pbt.seed=S}).
 */
class HiRadixTreePropertiesTest {
  static final int DEFAULT_EXAMPLES = 400;
  static final int EXAMPLES = Integer.getInteger("hicache.pbt.examples", DEFAULT_EXAMPLES);
  static final long SEED = Long.getLong("hicache.pbt.seed", 0x5EED_7EE5L);

  // ---------------------------------------------------------------------------------------------
  // operations (records print themselves in the falsifying example)

  sealed interface Op {}
  record Match(List<Integer> pages, int extraTokens) implements Op {}
  record Insert(List<Integer> pages, int priority, boolean chunked, boolean backUpWhatIsNeeded) implements Op {}
  record Lock(List<Integer> pages) implements Op {}
  record Unlock(int which) implements Op {}
  record Protect(List<Integer> pages) implements Op {}
  record Release(int which) implements Op {}
  record EvictDevice(int pages) implements Op {}
  record EvictHost(int pages) implements Op {}
  record Backup(List<Integer> pages) implements Op {}
  record LoadBack(List<Integer> pages) implements Op {}
  record HostInsert(List<Integer> pages, int anchorPages) implements Op {}
  record AckWriteBack(int which) implements Op {}
  record Tick() implements Op {}
  record EvictNode(List<Integer> pages) implements Op {}

  /** {@code tokenViews}: the tree is told its callers never modify token arrays (nodes keep views of them). */
  record Config(int pageSize, BuiltinEvictionPolicy policy, WritePolicyKind write, boolean hashes,
                boolean seeded, MatchTouch touch, boolean acceptWriteBack, boolean tokenViews) {}

  static Gen<List<Integer>> seqs() {
    return lists().of(integers().between(0, 3)).ofSizeBetween(0, 6);
  }

  static Gen<Op> ops() {
    Gen<List<Integer>> s = seqs();
    Gen<Boolean> b = booleans().all();
    Gen<Integer> small = integers().between(0, 7);
    return Generate.frequency(List.of(
        Pair.of(4, s.zip(integers().between(0, 3), (p, e) -> (Op) new Match(p, e))),
        Pair.of(8, s.zip(integers().between(-1, 2), b, b, (p, pr, c, bk) -> (Op) new Insert(p, pr, c, bk))),
        Pair.of(2, s.map(p -> (Op) new Lock(p))),
        Pair.of(2, small.map(i -> (Op) new Unlock(i))),
        Pair.of(1, s.map(p -> (Op) new Protect(p))),
        Pair.of(1, small.map(i -> (Op) new Release(i))),
        Pair.of(3, integers().between(0, 8).map(i -> (Op) new EvictDevice(i))),
        Pair.of(2, integers().between(0, 8).map(i -> (Op) new EvictHost(i))),
        Pair.of(2, s.map(p -> (Op) new Backup(p))),
        Pair.of(2, s.map(p -> (Op) new LoadBack(p))),
        Pair.of(2, s.zip(integers().between(0, 6), (p, a) -> (Op) new HostInsert(p, a))),
        Pair.of(1, small.map(i -> (Op) new AckWriteBack(i))),
        Pair.of(2, Generate.constant((Op) new Tick())),
        Pair.of(1, s.map(p -> (Op) new EvictNode(p)))));
  }

  static Gen<Config> configs() {
    Gen<Boolean> b = booleans().all();
    Gen<Integer> ps = Generate.pick(List.of(1, 2, 4));
    Gen<BuiltinEvictionPolicy> pol = Generate.enumValues(BuiltinEvictionPolicy.class);
    Gen<WritePolicyKind> wr = Generate.enumValues(WritePolicyKind.class);
    Gen<MatchTouch> touch = Generate.enumValues(MatchTouch.class);
    return ps.zip(pol, wr, b, (p, po, w, v) -> new Object[] {p, po, w, v})
        .zip(b, b, touch, b, (a, h, sd, t, acc) -> new Config((Integer) a[0], (BuiltinEvictionPolicy) a[1],
            (WritePolicyKind) a[2], h, sd, t, acc, (Boolean) a[3]));
  }

  @Test
  void tree_randomOperations_agreesWithTheReferenceModelAfterEveryStep() {
    qt().withExamples(EXAMPLES).withFixedSeed(SEED).withShrinkCycles(2000)
        .forAll(configs(), lists().of(ops()).ofSizeBetween(1, 60))
        .checkAssert(HiRadixTreePropertiesTest::runMinimizingFailures);
    // The generator must reach every interesting path, or the property proves little.
    if (EXAMPLES >= 100) {
      for (Event e : Event.values()) {
        if (COVERAGE.getOrDefault(e, 0) == 0) throw new AssertionError("no scenario reached " + e + ": " + COVERAGE);
      }
    }
  }

  enum Event {
    SPLIT, DEVICE_EVICTED_TO_HOST, DEVICE_DELETED, HOST_EVICTED, LOAD_BACK, HOST_INSERT_NEW, HOST_INSERT_DUPLICATE,
    REATTACH, NEED_BACKUP, WRITE_BACK_STARTED, WRITE_BACK_ACKED, WRITE_BACK_CALLED_OFF, LOCKED_SKIPPED_EARLY_STOP,
    HOST_PROTECTED_EARLY_STOP, NODE_EVICTED, ORDER_CHECKED
  }

  static final Map<Event, Integer> COVERAGE = new java.util.EnumMap<>(Event.class);

  static void saw(Event e) {
    COVERAGE.merge(e, 1, Integer::sum);
  }

  /**
   * Runs a scenario; on failure, also removes operations one at a time while it still fails, so
   * the report shows a short sequence (QuickTheories' own shrinking keeps many irrelevant steps).
   */
  static void runMinimizingFailures(Config config, List<Op> ops) {
    AssertionError failure = failureOf(config, ops);
    if (failure == null) return;
    List<Op> minimal = new ArrayList<>(ops);
    boolean shrunk = true;
    while (shrunk) {
      shrunk = false;
      for (int i = 0; i < minimal.size(); i++) {
        List<Op> candidate = new ArrayList<>(minimal);
        candidate.remove(i);
        AssertionError f = failureOf(config, candidate);
        if (f != null) {
          minimal = candidate;
          failure = f;
          shrunk = true;
          i--;
        }
      }
    }
    throw new AssertionError(failure.getMessage() + "\n  minimal operations: " + minimal, failure);
  }

  static AssertionError failureOf(Config config, List<Op> ops) {
    try {
      new Run(config).execute(ops);
      return null;
    } catch (AssertionError e) {
      return e;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // one scenario

  static final class Page {
    Integer device;
    Integer host;
    long hits;

    @Override public String toString() {
      return "(d=" + device + ", h=" + host + ")";
    }
  }

  record Held(TreeNode node, List<Integer> prefix) {}

  static final class Run implements DeviceEvictionHandler {
    final Config config;
    final int ps;
    final ManualClock clock = new ManualClock();
    final PageHasher hasher;
    final PageKey seed;
    final HiRadixTree tree;
    /** The reference model: prefix of page symbols -> residency of that prefix's last page. */
    final Map<List<Integer>, Page> model = new HashMap<>();
    final Map<Integer, List<Integer>> byDevice = new HashMap<>();
    final Map<Integer, List<Integer>> byHost = new HashMap<>();
    final List<Held> locks = new ArrayList<>();
    final List<Held> protects = new ArrayList<>();
    final List<TreeNode> pendingWriteBacks = new ArrayList<>();
    int nextDevicePage = 1;
    int nextHostPage = 100_001;
    int freedDevicePagesThisStep;
    int[] firstVictimPages;
    TreeNode firstVictimNode;
    int step;
    int nodesBefore;
    int modelSizeBefore;

    Run(Config config) {
      this.config = config;
      this.ps = config.pageSize();
      this.hasher = config.hashes() ? new PageHasher(ps) : null;
      this.seed = config.hashes() && config.seeded() ? Namespace.seed("tenant-a", null) : null;
      this.tree = new HiRadixTree(ps, config.policy(), clock, config.write(), hasher, seed, config.touch());
      if (config.tokenViews()) tree.tokensUnmodified(); // every step hands the tree a fresh array
    }

    void execute(List<Op> ops) {
      for (Op op : ops) {
        step++;
        try {
          apply(op);
          verify();
        } catch (RuntimeException | AssertionError e) {
          throw new AssertionError("step " + step + " " + op + ": " + e.getMessage(), e);
        }
      }
    }

    // --- tokens: page symbol s -> ps tokens; pages of different symbols differ only in the last
    // token (so page comparison must look at whole pages), which is above 2^31 unsigned.
    int[] tokens(List<Integer> pages, int extra) {
      int[] t = new int[pages.size() * ps + extra];
      for (int p = 0; p < pages.size(); p++) {
        int s = pages.get(p);
        for (int i = 0; i < ps - 1; i++) t[p * ps + i] = 1000 + i;
        t[p * ps + ps - 1] = -(s + 1);
      }
      return t;
    }

    List<Integer> symbols(int[] key) {
      List<Integer> out = new ArrayList<>();
      for (int p = 0; p < key.length / ps; p++) {
        for (int i = 0; i < ps - 1; i++) check(key[p * ps + i] == 1000 + i, "node key token is not ours");
        out.add(-key[p * ps + ps - 1] - 1);
      }
      return out;
    }

    static List<Integer> prefix(List<Integer> pages, int n) {
      return List.copyOf(pages.subList(0, n));
    }

    // --- steps

    void apply(Op op) {
      switch (op) {
        case Match m -> match(m.pages(), m.extraTokens() % ps);
        case Insert in -> insert(in);
        case Lock l -> lock(l.pages());
        case Unlock u -> {
          if (locks.isEmpty()) return;
          Set<List<Integer>> before = lockedPrefixes();
          Held h = locks.remove(u.which() % locks.size());
          int delta = tree.decLockRef(h.node());
          Set<List<Integer>> after = lockedPrefixes();
          before.removeAll(after);
          check(delta == before.size(), "decLockRef returned " + delta + ", expected " + before.size());
        }
        case Protect p -> {
          MatchResult r = tree.matchPrefix(tokens(p.pages(), 0), p.pages().size() * ps);
          TreeNode n = r.lastHostNode();
          tree.protectHost(n);
          protects.add(new Held(n, prefix(p.pages(), tree.prefixPages(n))));
        }
        case Release r -> {
          if (protects.isEmpty()) return;
          tree.releaseHost(protects.remove(r.which() % protects.size()).node());
        }
        case EvictDevice e -> evictDevice(e.pages());
        case EvictHost e -> evictHost(e.pages());
        case Backup b -> {
          MatchResult r = tree.matchPrefix(tokens(b.pages(), 0), b.pages().size() * ps);
          TreeNode n = r.lastDeviceNode();
          if (!n.isRoot() && !n.backuped()) backUp(n);
        }
        case LoadBack l -> loadBack(l.pages());
        case HostInsert h -> hostInsert(h.pages(), Math.min(h.anchorPages(), h.pages().size()));
        case AckWriteBack a -> {
          if (pendingWriteBacks.isEmpty()) return;
          TreeNode n = pendingWriteBacks.remove(a.which() % pendingWriteBacks.size());
          check(!n.removed(), "a write-back-pending node was deleted");
          boolean pendingBefore = n.writeBackPending();
          int before = freedDevicePagesThisStep = 0;
          boolean evicted = tree.evictBackuped(n, this);
          check(evicted == pendingBefore, "evictBackuped returned " + evicted + " for pending=" + pendingBefore);
          check(evicted ? n.evicted() : before == freedDevicePagesThisStep, "evictBackuped result disagrees");
          saw(evicted ? Event.WRITE_BACK_ACKED : Event.WRITE_BACK_CALLED_OFF);
        }
        case Tick t -> clock.advance();
        case EvictNode e -> {
          MatchResult r = tree.matchPrefix(tokens(e.pages(), 0), e.pages().size() * ps);
          TreeNode n = r.lastDeviceNode();
          if (n.isRoot()) return;
          // A node whose write-back copy still reads its pages never qualifies (use after free).
          boolean qualifies = n.backuped() && n.lockRef() == 0 && !n.writeBackInFlight()
              && n.children().stream().allMatch(TreeNode::evicted);
          freedDevicePagesThisStep = 0;
          int pages = n.pages();
          int freed = tree.evictDeviceNode(n, this);
          check(freed == (qualifies ? pages : 0) && freedDevicePagesThisStep == freed,
              "evictDeviceNode freed " + freed + " (qualifies=" + qualifies + ")");
          if (freed > 0) saw(Event.NODE_EVICTED);
        }
      }
    }

    void match(List<Integer> pages, int extra) {
      int[] t = tokens(pages, extra);
      MatchResult r = tree.matchPrefix(t, t.length);
      int deepest = 0, devicePrefix = 0, lastBackuped = 0;
      List<Integer> expectedDevice = new ArrayList<>();
      for (int i = 1; i <= pages.size(); i++) {
        Page pg = model.get(prefix(pages, i));
        if (pg == null) break;
        deepest = i;
        if (pg.device != null) {
          check(devicePrefix == i - 1, "model: device page after a host-only page at " + prefix(pages, i));
          devicePrefix = i;
          expectedDevice.add(pg.device);
        }
        if (pg.host != null) lastBackuped = i;
      }
      check(Arrays.equals(r.devicePages(), expectedDevice.stream().mapToInt(Integer::intValue).toArray()),
          "match device pages " + Arrays.toString(r.devicePages()) + ", model says " + expectedDevice);
      check(r.hostHitPages() == deepest - devicePrefix,
          "host hit pages " + r.hostHitPages() + ", model says " + (deepest - devicePrefix));
      check(tree.prefixPages(r.lastDeviceNode()) == devicePrefix && !r.lastDeviceNode().evicted(),
          "last device node ends at page " + tree.prefixPages(r.lastDeviceNode()) + ", expected " + devicePrefix);
      check(tree.prefixPages(r.lastHostNode()) == lastBackuped && r.lastHostNode().backuped(),
          "last host node ends at page " + tree.prefixPages(r.lastHostNode()) + ", expected " + lastBackuped);
    }

    void insert(Insert in) {
      List<Integer> pages = in.pages();
      int n = pages.size();
      int[] ids = new int[n];
      for (int i = 0; i < n; i++) ids[i] = nextDevicePage++;
      // expected, from the model before the insert
      int expectedPrefix = 0;
      boolean counting = !in.chunked() && !config.write().writeBack();
      Set<List<Integer>> expectedNeedBackup = new HashSet<>();
      for (int i = 1; i <= n; i++) {
        List<Integer> key = prefix(pages, i);
        Page pg = model.get(key);
        boolean hit;
        if (pg == null) {
          pg = new Page();
          pg.device = ids[i - 1];
          model.put(key, pg);
          byDevice.put(pg.device, key);
          hit = true;
        } else if (pg.device == null) {
          saw(Event.REATTACH);
          pg.device = ids[i - 1];
          byDevice.put(pg.device, key);
          hit = false;
        } else {
          check(expectedPrefix == i - 1, "model: device prefix is not leading");
          expectedPrefix++;
          hit = true;
        }
        if (hit && counting) {
          pg.hits++;
          if (pg.host == null && pg.hits >= config.write().writeThroughThreshold()) expectedNeedBackup.add(key);
        }
      }
      InsertResult r = tree.insert(tokens(pages, 0), n * ps, ids, in.priority(), in.chunked());
      check(r.devicePrefixPages() == expectedPrefix,
          "insert prefix " + r.devicePrefixPages() + ", model says " + expectedPrefix);
      Set<List<Integer>> needBackup = new HashSet<>();
      int lastEnd = -1;
      for (TreeNode node : r.needBackup()) {
        check(!node.backuped() && !node.evicted(), "needBackup holds a backuped or evicted node");
        int end = tree.prefixPages(node);
        check(end > lastEnd, "needBackup is not ancestors first");
        lastEnd = end;
        for (int id : node.value()) needBackup.add(byDevice.get(id));
      }
      check(needBackup.equals(expectedNeedBackup), "needBackup pages " + needBackup + ", model says " + expectedNeedBackup);
      if (!r.needBackup().isEmpty()) saw(Event.NEED_BACKUP);
      if (in.backUpWhatIsNeeded()) for (TreeNode node : r.needBackup()) backUp(node);
    }

    void backUp(TreeNode node) {
      int[] host = new int[node.pages()];
      for (int i = 0; i < host.length; i++) {
        host[i] = nextHostPage++;
        List<Integer> key = byDevice.get(node.value()[i]);
        Page pg = model.get(key);
        check(pg.host == null, "backing up a page that has a host copy");
        pg.host = host[i];
        byHost.put(host[i], key);
      }
      tree.setBackuped(node, host);
    }

    void lock(List<Integer> pages) {
      MatchResult r = tree.matchPrefix(tokens(pages, 0), pages.size() * ps);
      TreeNode n = r.lastDeviceNode();
      if (n.isRoot()) return;
      Set<List<Integer>> before = lockedPrefixes();
      Held h = new Held(n, prefix(pages, tree.prefixPages(n)));
      int delta = tree.incLockRef(n);
      locks.add(h);
      Set<List<Integer>> after = lockedPrefixes();
      after.removeAll(before);
      check(delta == -after.size(), "incLockRef returned " + delta + ", expected " + -after.size());
    }

    Set<List<Integer>> lockedPrefixes() {
      Set<List<Integer>> out = new HashSet<>();
      for (Held h : locks) for (int i = 1; i <= h.prefix().size(); i++) out.add(prefix(h.prefix(), i));
      return out;
    }

    void evictDevice(int pages) {
      freedDevicePagesThisStep = 0;
      int pendingBefore = pendingWriteBacks.size();
      // The first victim must be the policy's minimum among the device leaves computed from scratch
      // (what SGLang's per-pass heap would pop first): the incremental index must agree with it.
      TreeNode expectedFirst = pages > 0 ? firstVictimFromScratch() : null;
      int[] expectedPages = expectedFirst == null ? null : expectedFirst.value().clone();
      firstVictimPages = null;
      firstVictimNode = null;
      int r = tree.evictDevice(pages, this);
      if (expectedFirst != null) {
        boolean ok = expectedFirst == firstVictimNode
            || (firstVictimNode == null && Arrays.equals(expectedPages, firstVictimPages));
        check(ok, "first victim was " + (firstVictimNode != null ? firstVictimNode : Arrays.toString(firstVictimPages))
            + ", the policy's minimum is " + expectedFirst + " " + Arrays.toString(expectedPages));
        saw(Event.ORDER_CHECKED);
      } else {
        check(freedDevicePagesThisStep == 0 || pages == 0, "evicted although no leaf qualified");
      }
      int started = 0;
      for (int i = pendingBefore; i < pendingWriteBacks.size(); i++) started += pendingWriteBacks.get(i).pages();
      check(r == freedDevicePagesThisStep + started,
          "evictDevice returned " + r + ", freed " + freedDevicePagesThisStep + " and started " + started);
      if (r < pages && !config.write().writeBack()) {
        if (!locks.isEmpty()) saw(Event.LOCKED_SKIPPED_EARLY_STOP);
        // Nothing evictable may be left: every device page is locked, has a device child, or is not
        // backuped while host-only pages hang below it.
        Set<List<Integer>> locked = lockedPrefixes();
        for (Map.Entry<List<Integer>, Page> e : model.entrySet()) {
          if (e.getValue().device == null) continue;
          List<Integer> key = e.getKey();
          boolean deviceChild = false, anyChild = false;
          for (int s = 0; s <= 3; s++) {
            List<Integer> c = new ArrayList<>(key);
            c.add(s);
            Page cp = model.get(c);
            if (cp != null) {
              anyChild = true;
              deviceChild |= cp.device != null;
            }
          }
          check(locked.contains(key) || deviceChild || (e.getValue().host == null && anyChild),
              "evictDevice stopped early (" + r + " < " + pages + ") but " + key + " was evictable");
        }
      }
    }

    TreeNode firstVictimFromScratch() {
      java.util.Comparator<dev.hicache.api.spi.EvictionCandidate> order = config.policy().order();
      TreeNode best = null;
      java.util.ArrayDeque<TreeNode> stack = new java.util.ArrayDeque<>(List.of(tree.root()));
      while (!stack.isEmpty()) {
        TreeNode n = stack.pop();
        boolean deviceChild = false;
        for (TreeNode c : n.children()) {
          stack.push(c);
          deviceChild |= !c.evicted();
        }
        if (n.isRoot() || n.evicted() || deviceChild || n.lockRef() > 0 || n.writeBackInFlight()) continue;
        boolean evictable = n.backuped() || n.childCount() == 0
            || (config.write().writeBack() && config.acceptWriteBack());
        if (evictable && (best == null || order.compare(n, best) < 0)) best = n;
      }
      return best;
    }

    void evictHost(int pages) {
      List<int[]> freed = new ArrayList<>();
      int r = tree.evictHost(pages, freed::add);
      int total = 0;
      for (int[] f : freed) {
        total += f.length;
        for (int id : f) {
          List<Integer> key = byHost.remove(id);
          check(key != null, "host eviction freed unknown host page " + id);
          Page pg = model.remove(key);
          check(pg.device == null, "host eviction freed " + key + " which is on the device");
          saw(Event.HOST_EVICTED);
        }
      }
      check(r == total, "evictHost returned " + r + ", freed " + total);
      if (r < pages) {
        if (!protects.isEmpty()) saw(Event.HOST_PROTECTED_EARLY_STOP);
        Set<List<Integer>> protectedPrefixes = new HashSet<>();
        for (Held h : protects) protectedPrefixes.add(h.prefix());
        for (Map.Entry<List<Integer>, Page> e : model.entrySet()) {
          if (e.getValue().device != null) continue;
          boolean anyChild = false;
          for (int s = 0; s <= 3 && !anyChild; s++) {
            List<Integer> c = new ArrayList<>(e.getKey());
            c.add(s);
            anyChild = model.containsKey(c);
          }
          check(anyChild || protectedPrefixes.contains(e.getKey()),
              "evictHost stopped early (" + r + " < " + pages + ") but " + e.getKey() + " was evictable");
        }
      }
    }

    void loadBack(List<Integer> pages) {
      MatchResult r = tree.matchPrefix(tokens(pages, 0), pages.size() * ps);
      if (r.hostHitPages() == 0) return;
      List<TreeNode> chain = tree.evictedChain(r.lastHostNode());
      int total = chain.stream().mapToInt(TreeNode::pages).sum();
      check(total == r.hostHitPages(), "evicted chain holds " + total + " pages, host hit " + r.hostHitPages());
      int[] ids = new int[total];
      int d = r.devicePrefixPages();
      for (int i = 0; i < total; i++) {
        ids[i] = nextDevicePage++;
        List<Integer> key = prefix(pages, d + i + 1);
        Page pg = model.get(key);
        check(pg.device == null && pg.host != null, "load back of " + key + " which is not host-only");
        pg.device = ids[i];
        byDevice.put(ids[i], key);
      }
      tree.attachDevicePages(chain, ids);
      saw(Event.LOAD_BACK);
    }

    void hostInsert(List<Integer> pages, int anchorPages) {
      MatchResult r = tree.matchPrefix(tokens(pages, 0), anchorPages * ps);
      TreeNode anchor = r.lastHostNode();
      int start = tree.prefixPages(anchor);
      int n = pages.size() - start;
      int[] t = tokens(pages, 0);
      int[] host = new int[n];
      for (int i = 0; i < n; i++) host[i] = nextHostPage++;
      PageKey[] hashes = null;
      if (hasher != null) {
        PageKey prior = anchor.isRoot() ? seed : anchor.lastHashValue();
        hashes = hasher.chain(prior, t, start * ps, pages.size() * ps).toArray(new PageKey[0]);
      }
      int expectedMatched = 0;
      while (expectedMatched < n && model.containsKey(prefix(pages, start + expectedMatched + 1))) expectedMatched++;
      HostInsertResult res = tree.insertHostOnly(anchor, t, start * ps, n * ps, host, hashes);
      if (expectedMatched > 0) saw(Event.HOST_INSERT_DUPLICATE);
      if (expectedMatched < n) saw(Event.HOST_INSERT_NEW);
      check(res.matchedPages() == expectedMatched, "host insert matched " + res.matchedPages() + ", model says " + expectedMatched);
      for (int i = expectedMatched; i < n; i++) {
        List<Integer> key = prefix(pages, start + i + 1);
        Page pg = new Page();
        pg.host = host[i];
        model.put(key, pg);
        byHost.put(host[i], key);
      }
      check(tree.prefixPages(res.last()) == pages.size() || (n == 0 && res.last() == anchor),
          "host insert's last node ends at " + tree.prefixPages(res.last()));
    }

    // --- the controller's side of device eviction

    @Override public void freeDevicePages(int[] pages) {
      if (firstVictimPages == null && firstVictimNode == null) firstVictimPages = pages.clone();
      Set<List<Integer>> locked = lockedPrefixes();
      for (int id : pages) {
        List<Integer> key = byDevice.remove(id);
        check(key != null, "device eviction freed unknown device page " + id);
        check(!locked.contains(key), "device eviction freed locked page " + key);
        Page pg = model.get(key);
        pg.device = null;
        if (pg.host == null) model.remove(key);
        saw(pg.host == null ? Event.DEVICE_DELETED : Event.DEVICE_EVICTED_TO_HOST);
        freedDevicePagesThisStep++;
      }
    }

    @Override public boolean startWriteBack(TreeNode node) {
      check(config.write().writeBack(), "startWriteBack called under " + config.write().flagName());
      check(!node.backuped(), "startWriteBack for a backuped node");
      if (!config.acceptWriteBack()) return false;
      if (firstVictimPages == null && firstVictimNode == null) firstVictimNode = node;
      backUp(node);
      pendingWriteBacks.add(node);
      saw(Event.WRITE_BACK_STARTED);
      return true;
    }

    // --- after every step

    void verify() {
      tree.checkInvariants();
      if (tree.nodeCount() > nodesBefore && model.size() == modelSizeBefore) saw(Event.SPLIT);
      nodesBefore = tree.nodeCount();
      modelSizeBefore = model.size();
      // The model is prefix-closed and device residency is ancestor-closed in it.
      int device = 0, host = 0;
      for (Map.Entry<List<Integer>, Page> e : model.entrySet()) {
        List<Integer> key = e.getKey();
        Page pg = e.getValue();
        check(pg.device != null || pg.host != null, "model holds an empty page " + key);
        if (key.size() > 1) {
          Page parent = model.get(key.subList(0, key.size() - 1));
          check(parent != null, "model lost the parent of " + key);
          check(pg.device == null || parent.device != null, "model: device page below a host-only one " + key);
        }
        if (pg.device != null) device++;
        if (pg.host != null) host++;
      }
      // The tree holds exactly the model's pages, where the model says (stored <=> matchable,
      // since every node is found from its parent by its first page: checkInvariants).
      Map<List<Integer>, String> actual = new HashMap<>();
      collect(tree.root(), List.of(), actual);
      Map<List<Integer>, String> expected = new HashMap<>();
      model.forEach((k, v) -> expected.put(k, v.device + "/" + v.host));
      check(actual.equals(expected), "tree content " + actual + " differs from model " + expected);
      check(tree.devicePages() == device, "device pages " + tree.devicePages() + ", model " + device);
      check(tree.hostPages() == host, "host pages " + tree.hostPages() + ", model " + host);
      Set<List<Integer>> locked = lockedPrefixes();
      check(tree.protectedDevicePages() == locked.size(),
          "protected pages " + tree.protectedDevicePages() + ", locked prefixes " + locked.size());
      for (Held h : locks) {
        check(!h.node().removed(), "a locked node was deleted");
        check(tree.prefixPages(h.node()) == h.prefix().size(), "a locked node moved");
        for (TreeNode n = h.node(); !n.isRoot(); n = n.parent()) {
          check(!n.evicted() && n.lockRef() > 0, "a locked path lost its device pages or its lock");
        }
      }
      for (Held h : protects) {
        check(!h.node().removed(), "a host-protected node was deleted");
        check(h.node().hostRefCounter() > 0, "a host-protected node lost its protection");
      }
    }

    void collect(TreeNode node, List<Integer> prefix, Map<List<Integer>, String> out) {
      for (TreeNode c : node.children()) {
        List<Integer> syms = symbols(c.key());
        List<Integer> p = new ArrayList<>(prefix);
        for (int i = 0; i < syms.size(); i++) {
          p.add(syms.get(i));
          Integer d = c.value() == null ? null : c.value()[i];
          Integer h = c.hostValue() == null ? null : c.hostValue()[i];
          out.put(List.copyOf(p), d + "/" + h);
        }
        collect(c, List.copyOf(p), out);
      }
    }

    static void check(boolean ok, String what) {
      if (!ok) throw new AssertionError(what);
    }
  }
}
