package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.api.MemLayout;
import dev.hicache.api.Namespace;
import dev.hicache.api.Tier;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.core.engine.HintResult.Reason;
import dev.hicache.core.tree.TreeNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * The engine's property harness ({@link EngineScript}: generated request streams and completion
 * orders, real bytes, every write and eviction policy, random capacities) with cache-control hints
 * interleaved: pins with random lifetimes and pinned shares, unpins, prefetches (with L3) and
 * demotes of the same prefixes the requests use. Checked after every step, besides everything the
 * script checks (the tree's and the controller's invariants, every cached byte a request reads
 * against its page keys, the metrics at the end):
 *
 * <ul>
 *   <li>the cache's pins are exactly the pins made and not unpinned, not past their deadline, and
 *       not given way to a request (as many as {@code hicache_pins_ended{yielded}} says);
 *   <li>every pinned page is where its pin put it: the device part on the device, the rest in the
 *       host tier (walked in the tree, independently of the pins' own bookkeeping);
 *   <li>the pinned pages of each tier, counted as distinct prefixes, stay within the pinned share;
 *   <li>no request lacks room because of a pin: whenever an extend finds no room, the request fits
 *       on the device beside the pages only pins hold;
 *   <li>every metric the hints report is declared in {@link HiCacheMetric}.
 * </ul>
 *
 * <p>A quarter of the runs have load-backs that fail for good (their pages are poisoned, never
 * served); half have a host tier only one page larger than the device.
 */
class CacheControlPropertyTest {
  private static final int PAGE = EngineScript.PAGE;
  private static final int EXAMPLES = Math.max(1, EngineContract.EXAMPLES / 2);
  private static final String[] EVICTION = {"lru", "lfu", "fifo", "mru", "priority", "slru"};
  private static final double[] SHARES = {0, 0.25, 0.5, 0.75};
  /** Over all runs of a test: hints per reason, pins per ending, so a test shows it reached every path. */
  private static final Map<String, Long> SEEN = new java.util.concurrent.ConcurrentHashMap<>();

  /** The hints, interleaved with the script's own actions, and the model they are checked against. */
  static final class Hints implements EngineScript.Extension {
    final double share;
    /** Live pins as the model sees them: (namespace, prefix) -> deadline. */
    final Map<PinKey, Long> model = new HashMap<>();
    long yieldedSeen;

    Hints(double share) { this.share = share; }

    @Override public boolean step(EngineScript s, int a) {
      if (((a >>> 27) & 3) != 0) return false; // a quarter of the actions are hints
      HiCache cache = s.cache;
      int arg = a >>> 4;
      Namespace[] ns = new Namespace[1];
      int[] tokens = tokensFor(s, arg, ns);
      HintResult r;
      switch (Math.floorMod(a, 5)) {
        case 0, 1 -> {
          // Lifetimes around the copies' times (about a microsecond each), so pins also end by deadline.
          long ttl = (arg & 7) == 0 ? 1_000_000_000L : 1 + (long) (arg >>> 3) % 64 * 1_000;
          long now = cache.deterministicShell().now();
          r = cache.pin(tokens, Duration.ofNanos(ttl), ns[0]);
          PinKey key = new PinKey(ns[0], key(tokens));
          model.remove(key);
          if (r.appliedPages() > 0) model.put(key, now + ttl);
          assertThat(r.appliedPages()).isLessThanOrEqualTo(r.requestedPages());
          assertThat(r.applied()).isEqualTo(r.appliedPages() == r.requestedPages() && r.requestedPages() > 0);
        }
        case 2 -> {
          r = cache.unpin(tokens, ns[0]);
          boolean had = model.remove(new PinKey(ns[0], key(tokens))) != null; // check() dropped those past their deadline
          assertThat(r.reason()).isEqualTo(had ? Reason.APPLIED : Reason.NOT_PINNED);
        }
        case 3 -> r = cache.prefetch(tokens, ns[0]);
        default -> {
          long before = cache.deviceCachedTokens();
          long[] others = new long[Math.max(1, s.namespaces)];
          for (int i = 0; i < others.length; i++) others[i] = cache.namespaceTokens(EngineScript.NAMESPACES[i], Tier.DEVICE);
          r = cache.demote(tokens, ns[0]);
          // Only what the demote says it moved left the device (a demote never drops a page), and
          // only from its own namespace.
          assertThat(before - cache.deviceCachedTokens()).isEqualTo((long) r.appliedPages() * PAGE);
          for (int i = 0; i < others.length; i++) {
            if (EngineScript.NAMESPACES[i] == ns[0]) continue;
            assertThat(cache.namespaceTokens(EngineScript.NAMESPACES[i], Tier.DEVICE))
                .as("device tokens of namespace " + i + " after a demote in " + ns[0]).isEqualTo(others[i]);
          }
        }
      }
      SEEN.merge(r.hint().label() + ":" + r.reason().label(), 1L, Long::sum);
      return true;
    }

    /**
     * A quarter name a document's own prefix (every request shares one), a quarter a prompt a
     * request could have, half the start of a prompt admitted recently (most likely cached). With
     * namespaces, {@code ns[0]} is set to the namespace the hint names: a recent prompt's own three
     * times in four, else any (so hints also name prefixes cached only in another namespace).
     */
    private static int[] tokensFor(EngineScript s, int arg, Namespace[] ns) {
      ns[0] = s.namespaces == 0 ? null : EngineScript.NAMESPACES[(arg >>> 20) % s.namespaces];
      switch (arg & 3) {
        case 0: return s.tokensFor((arg & 0xFF) | (48 << 8));
        case 1: return s.tokensFor(arg);
        default:
          if (s.prompts.isEmpty()) return s.tokensFor(arg);
          int i = s.prompts.size() - 1 - (arg >>> 2) % Math.min(8, s.prompts.size());
          int[] p = s.prompts.get(i);
          if (((arg >>> 24) & 3) != 0) ns[0] = s.promptNamespaces.get(i);
          return Arrays.copyOf(p, Math.max(1, p.length - (arg >>> 5) % 3 * PAGE));
      }
    }

    @Override public void check(EngineScript s) {
      HiCache cache = s.cache;
      long now = cache.deterministicShell().now();
      model.values().removeIf(deadline -> deadline <= now);
      List<HiCache.PinnedPrefix> pins = cache.pins();
      Set<PinKey> live = new HashSet<>();
      for (HiCache.PinnedPrefix p : pins) {
        PinKey key = new PinKey(p.namespace(), key(p.tokens()));
        live.add(key);
        assertThat(model).as("pin of " + key.tokens().size() + " tokens in " + key.ns() + ": the model has it").containsKey(key);
        assertThat(p.deadlineNanos()).isEqualTo(model.get(key));
        assertThat(p.deadlineNanos()).isGreaterThan(now);
      }
      // What the model still has and the cache does not gave way to a request.
      long yielded = s.metrics.counter(HiCacheMetric.PINS_ENDED.key(), CacheControl.YIELDED);
      int gone = 0;
      for (var it = model.keySet().iterator(); it.hasNext(); ) {
        if (!live.contains(it.next())) {
          it.remove();
          gone++;
        }
      }
      assertThat(gone).as("pins that ended without their deadline or an unpin").isEqualTo(yielded - yieldedSeen);
      yieldedSeen = yielded;
      // Every pinned page is resident where its pin put it, and the pinned prefixes fit the budgets.
      Set<PinKey> devicePinned = new HashSet<>();
      Set<PinKey> hostPinned = new HashSet<>();
      for (HiCache.PinnedPrefix p : pins) {
        int[] t = p.tokens();
        // Walked in the pin's own namespace: the pinned pages are that namespace's.
        TreeNode root = cache.controller().tree().namespaceRoot(p.namespace() == null ? null : p.namespace().seed());
        assertThat(root).as("root of the namespace of a live pin").isNotNull();
        List<TreeNode> path = path(root, t, (p.devicePages() + p.hostPages()) * PAGE);
        int page = 0;
        for (TreeNode n : path) {
          for (int i = 0; i < n.pages() && page < p.devicePages() + p.hostPages(); i++, page++) {
            if (page < p.devicePages()) {
              assertThat(n.evicted()).as("pinned device page " + page + " of " + t.length + " tokens").isFalse();
              devicePinned.add(new PinKey(p.namespace(), key(Arrays.copyOf(t, (page + 1) * PAGE))));
            } else {
              assertThat(n.backuped()).as("pinned host page " + page + " of " + t.length + " tokens").isTrue();
              hostPinned.add(new PinKey(p.namespace(), key(Arrays.copyOf(t, (page + 1) * PAGE))));
            }
          }
        }
        assertThat(page).as("pinned pages of " + t.length + " tokens still in the tree").isEqualTo(p.devicePages() + p.hostPages());
      }
      assertThat(devicePinned.size()).as("pinned device pages").isLessThanOrEqualTo((int) Math.floor(share * s.devicePages));
      assertThat(hostPinned.size()).as("pinned host pages").isLessThanOrEqualTo((int) Math.floor(share * s.hostPages));
    }

    @Override public void noRoom(EngineScript s, CacheRequest r, int tokens) {
      int pages = (tokens + PAGE - 1) / PAGE;
      if (pages > s.devicePages) return; // larger than the device: no room ever, pins or not
      int pinOnly = s.cache.control().pinOnlyPages();
      assertThat(pages).as("a request of " + pages + " pages found no room: it must fit beside the " + pinOnly
          + " pages only pins hold on a device of " + s.devicePages).isLessThanOrEqualTo(s.devicePages - pinOnly);
    }
  }

  /** The nodes holding the first {@code length} tokens of {@code t}, top-down; read only. */
  static List<TreeNode> path(TreeNode root, int[] t, int length) {
    List<TreeNode> out = new java.util.ArrayList<>();
    TreeNode n = root;
    int pos = 0;
    while (pos < length) {
      TreeNode next = null;
      for (TreeNode c : n.children()) {
        if (Arrays.equals(c.key(), 0, PAGE, t, pos, pos + PAGE)) next = c;
      }
      if (next == null) break;
      int k = Math.min(next.tokens(), length - pos);
      if (Arrays.mismatch(next.key(), 0, k, t, pos, pos + k) >= 0) break;
      out.add(next);
      pos += next.tokens();
      n = next;
    }
    return out;
  }

  /** A pin's identity: its namespace (null: the default one) and its page-aligned prefix. */
  record PinKey(Namespace ns, List<Integer> tokens) {}

  static List<Integer> key(int[] tokens) {
    int aligned = tokens.length / PAGE * PAGE;
    return Arrays.stream(tokens, 0, aligned).boxed().toList();
  }

  private static Gen<List<Integer>> actions() {
    return lists().of(integers().between(0, Integer.MAX_VALUE)).ofSizeBetween(1, 200);
  }

  private static void run(WritePolicyKind policy, boolean withL3) {
    qt().withFixedSeed(EngineContract.SEED).withExamples(EXAMPLES).withShrinkCycles(200)
        .forAll(integers().between(0, EVICTION.length - 1), integers().between(0, 2 * SHARES.length - 1),
            integers().between(4, 24), actions())
        .checkAssert((ev, shareAndHost, devicePages, actions) -> {
          int share = shareAndHost % SHARES.length;
          // Half the runs with a tight host tier, so host eviction presses on host-pinned pages.
          double hostRatio = shareAndHost < SHARES.length ? (withL3 ? 3.0 : 2.0) : 1.0; // 1.0: one page more than the device
          EngineScript s = new EngineScript(policy, EVICTION[ev], MemLayout.PAGE_FIRST, devicePages, hostRatio, false);
          if (withL3) s.l3 = warmL3();
          // Half the runs spread requests and hints over three namespaces (the same documents in each).
          if (devicePages % 2 == 1) s.namespaces = 3;
          // A quarter of the runs with load-backs that fail: pins must never hold their poisoned pages.
          if (devicePages % 4 == 0) s.failLoadsModulo = 3;
          s.pools = EnginePools.hostMemory();
          Hints hints = new Hints(SHARES[share]);
          s.extension = hints;
          s.writeBackMayLose = SHARES[share] > 0;
          s.builderHook = b -> b.pinnedShare(SHARES[share]);
          s.run(actions);
          s.metrics.counters().keySet().forEach(k -> declared(k, HiCacheMetric.Kind.COUNTER));
          s.metrics.gauges().keySet().forEach(k -> declared(k, HiCacheMetric.Kind.GAUGE));
          SEEN.merge("ended:yielded", s.metrics.counter(HiCacheMetric.PINS_ENDED.key(), CacheControl.YIELDED), Long::sum);
          SEEN.merge("ended:expired", s.metrics.counter(HiCacheMetric.PINS_ENDED.key(), CacheControl.EXPIRED), Long::sum);
          SEEN.merge("demoted pages", s.metrics.counter(HiCacheMetric.HINT_PAGES.key(), "demote"), Long::sum);
          SEEN.merge("hint-prefetched tokens", s.metrics.counter(HiCacheMetric.HINT_PREFETCHED_TOKENS.key()), Long::sum);
        });
  }

  /**
   * An L3 that another instance has filled with the documents' pages (a fixed stream, so every
   * example starts from the same store): prefetch hints then find what the cache itself lacks.
   */
  private static InMemoryL3StoreDouble warmL3() {
    EngineScript warm = new EngineScript(WritePolicyKind.WRITE_THROUGH, "lru", MemLayout.PAGE_FIRST, 24, 3.0, false);
    warm.l3 = new InMemoryL3StoreDouble();
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
    List<Integer> actions = new java.util.ArrayList<>();
    for (int k = 0; k < 120; k++) actions.add(rnd.nextInt(Integer.MAX_VALUE));
    warm.run(actions);
    return warm.l3;
  }

  private static void declared(String key, HiCacheMetric.Kind kind) {
    int brace = key.indexOf('{');
    HiCacheMetric m = HiCacheMetric.byKey(brace < 0 ? key : key.substring(0, brace));
    if (m == null) return; // not the engine's (the script's own doubles report none)
    assertThat(m.kind()).as(key).isEqualTo(kind);
    assertThat(brace >= 0).as("label of " + key).isEqualTo(m.labelName() != null);
  }

  @Test void writeThrough_hintsNeverFailARequestOrServeWrongBytes_andPinsHold() {
    SEEN.clear();
    run(WritePolicyKind.WRITE_THROUGH, false);
    assertReached("pin:applied", "pin:budget_exhausted", "unpin:applied", "demote:applied", "demote:in_use",
        "ended:expired", "ended:yielded", "demoted pages");
  }

  @Test void writeThroughSelective_hintsNeverFailARequestOrServeWrongBytes_andPinsHold() {
    SEEN.clear();
    run(WritePolicyKind.WRITE_THROUGH_SELECTIVE, false);
    assertReached("pin:applied", "demote:pending", "demoted pages");
  }

  @Test void writeBack_hintsNeverFailARequestOrServeWrongBytes_andPinsHold() {
    SEEN.clear();
    run(WritePolicyKind.WRITE_BACK, false);
    assertReached("pin:applied", "demote:pending", "demoted pages", "ended:yielded");
  }

  @Test void withL3_prefetchHintsBringRightBytes_andPinsHold() {
    SEEN.clear();
    run(WritePolicyKind.WRITE_THROUGH, true);
    run(WritePolicyKind.WRITE_BACK, true);
    assertReached("prefetch:applied", "prefetch:already_cached", "hint-prefetched tokens");
  }

  private static void assertReached(String... keys) {
    System.out.println("cache-control property: " + new java.util.TreeMap<>(SEEN));
    for (String k : keys) assertThat(SEEN.getOrDefault(k, 0L)).as(k).isPositive();
  }
}
