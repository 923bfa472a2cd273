package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.api.Namespace;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.events.KvEvent;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.pool.OffHeapHostPool;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.L3CostModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Per-request namespaces through the facade (docs/behaviour.md#namespaces): identical prompts of
 * two namespaces share nothing in L1, L2 or L3, L3 keys are chained from the request's namespace,
 * KV events name it, a request without one is in the default namespace, and the quota.
 */
class NamespaceTest {
  private static final int PAGE = EngineScript.PAGE;
  private static final Namespace LORA = Namespace.ofSglang("lora-7", null);
  private static final Namespace SALTED = Namespace.ofSglang(null, "user-42");

  private static int[] prompt(long seed, int tokens) {
    Random rnd = new Random(seed);
    int[] t = new int[tokens];
    for (int i = 0; i < t.length; i++) t[i] = rnd.nextInt(30000);
    return t;
  }

  private static HiCache open(KeyedDevicePoolDouble device, InMemoryL3StoreDouble l3, InMemoryMetrics metrics,
                              dev.hicache.api.events.KvEventListener events) {
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).writePolicy(WritePolicyKind.WRITE_THROUGH)
        .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).prefetchThreshold(PAGE).loadBackThreshold(PAGE).build();
    HiCache.Builder b = HiCache.builder(config).devicePool(device)
        .hostPool(new CorruptibleHostPoolDouble(EngineScript.SHAPE, MemLayout.PAGE_FIRST, 257 * PAGE))
        .metrics(metrics).deterministic(CostModel.link(1e9, 1e9, 1_000));
    if (l3 != null) b.storage(l3).l3Cost(L3CostModel.link(1e9, 1e9, 10_000));
    if (events != null) b.kvEvents(events);
    return b.build();
  }

  /** Serves a prompt (enqueued first when the cache has L3): checks its cached prefix against its namespace's keys, computes the rest, finishes. */
  private static CacheRequest serve(HiCache cache, KeyedDevicePoolDouble device, long rid, int[] tokens, Namespace ns,
                                    boolean queued) {
    if (queued) {
      cache.enqueue(rid, tokens, ns);
      int guard = 0;
      while (!cache.readyToAdmit(rid)) {
        if (!cache.deterministicShell().runNext()) cache.poll();
        assertThat(++guard).isLessThan(10_000);
      }
    }
    CacheRequest r = queued ? cache.admit(rid, tokens, 0, ns) : cache.admit(tokens, 0, ns);
    cache.deterministicShell().runUntil(() -> r.load().isDone());
    PageKey seed = ns == null ? null : ns.seed();
    List<PageKey> keys = KeyedPages.keys(seed, tokens, tokens.length, PAGE);
    int[] pages = r.devicePages();
    for (int k = 0; k < r.cachedTokens() / PAGE; k++) {
      assertThat(device.pageHolds(pages[k], keys.get(k))).as("cached page " + k).isTrue();
    }
    assertThat(cache.extend(r, tokens.length)).isTrue();
    pages = r.devicePages();
    for (int k = r.cachedTokens() / PAGE; k < tokens.length / PAGE; k++) device.fillPage(pages[k], keys.get(k));
    cache.finish(r, tokens, tokens.length);
    cache.deterministicShell().drain();
    cache.checkInvariants();
    return r;
  }

  @Test void identicalPrompts_ofTwoNamespaces_shareNothingInL1OrL2() {
    int[] p = prompt(1, 6 * PAGE);
    KeyedDevicePoolDouble device = new KeyedDevicePoolDouble(EngineScript.SHAPE, 64 * PAGE);
    try (HiCache cache = open(device, null, new InMemoryMetrics(), null)) {
      assertThat(serve(cache, device, -1, p, LORA, false).cachedTokens()).isZero();
      assertThat(serve(cache, device, -1, p, SALTED, false).cachedTokens()).isZero();
      assertThat(serve(cache, device, -1, p, null, false).cachedTokens()).isZero();
      // Each namespace hits its own pages; a namespace with neither part is the default one.
      assertThat(serve(cache, device, -1, p, LORA, false).cachedTokens()).isEqualTo(5 * PAGE);
      assertThat(serve(cache, device, -1, p, Namespace.ofSglang(null, null), false).cachedTokens()).isEqualTo(5 * PAGE);
      assertThat(cache.namespaces()).isEqualTo(3);
      for (Namespace ns : new Namespace[] {LORA, SALTED, null}) {
        assertThat(cache.namespaceTokens(ns, Tier.DEVICE)).as("device tokens of " + ns).isEqualTo(6 * PAGE);
        assertThat(cache.namespaceTokens(ns, Tier.HOST)).as("host tokens of " + ns).isEqualTo(6 * PAGE);
      }
      assertThat(cache.deviceCachedTokens()).isEqualTo(18 * PAGE);
    }
  }

  @Test void l3Keys_areChainedFromTheRequestsNamespace_andAColdInstanceServesOnlyThatNamespace() {
    int[] p = prompt(2, 5 * PAGE);
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    KeyedDevicePoolDouble deviceA = new KeyedDevicePoolDouble(EngineScript.SHAPE, 64 * PAGE);
    try (HiCache a = open(deviceA, l3, new InMemoryMetrics(), null)) {
      serve(a, deviceA, 0, p, LORA, true);
    }
    PageHasher hasher = new PageHasher(PAGE);
    assertThat(new HashSet<>(l3.keys())).containsExactlyInAnyOrderElementsOf(hasher.chain(LORA.seed(), p, 0, p.length));
    assertThat(l3.keys()).doesNotContainAnyElementsOf(hasher.chain(null, p, 0, p.length));
    KeyedDevicePoolDouble deviceB = new KeyedDevicePoolDouble(EngineScript.SHAPE, 64 * PAGE);
    try (HiCache b = open(deviceB, l3, new InMemoryMetrics(), null)) {
      assertThat(serve(b, deviceB, 0, p, SALTED, true).storageHitTokens()).isZero();
      assertThat(serve(b, deviceB, 1, p, null, true).storageHitTokens()).isZero();
      assertThat(serve(b, deviceB, 2, p, LORA, true).storageHitTokens()).isEqualTo(4 * PAGE);
    }
  }

  @Test void kvEvents_nameTheNamespaceOfThePages() {
    int[] p = prompt(3, 3 * PAGE);
    List<KvEvent> events = new ArrayList<>();
    KeyedDevicePoolDouble device = new KeyedDevicePoolDouble(EngineScript.SHAPE, 64 * PAGE);
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    try (HiCache cache = open(device, l3, new InMemoryMetrics(), e -> {
      synchronized (events) { events.add(e); }
    })) {
      serve(cache, device, 0, p, LORA, true);
      serve(cache, device, 1, p, null, true);
      assertThat(cache.awaitKvEvents(30, TimeUnit.SECONDS)).isTrue();
    }
    PageHasher hasher = new PageHasher(PAGE);
    Set<PageKey> lora = new HashSet<>(hasher.chain(LORA.seed(), p, 0, p.length));
    Set<PageKey> plain = new HashSet<>(hasher.chain(null, p, 0, p.length));
    Set<Tier> loraTiers = new HashSet<>();
    synchronized (events) {
      for (KvEvent e : events) {
        if (!(e instanceof KvEvent.BlockStored s)) continue;
        boolean ofLora = LORA.seed().equals(s.namespaceSeed());
        if (ofLora) loraTiers.add(s.tier());
        else assertThat(s.namespaceSeed()).as("the default namespace has no seed here").isNull();
        assertThat(ofLora ? lora : plain).as("keys of a " + s.tier() + " event of namespace " + s.namespaceSeed()).containsAll(s.pageKeys());
      }
    }
    assertThat(loraTiers).containsExactlyInAnyOrder(Tier.DEVICE, Tier.HOST, Tier.STORAGE);
  }

  @Test void decodeOffload_keysARequestsPages_fromItsNamespace() {
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    int[] tokens = prompt(5, 3 * PAGE);
    List<PageKey> keys = KeyedPages.keys(SALTED.seed(), tokens, tokens.length, PAGE);
    KeyedDevicePoolDouble device = new KeyedDevicePoolDouble(EngineScript.SHAPE, 8 * PAGE);
    int[] slots = device.alloc(3 * PAGE);
    for (int p = 0; p < 3; p++) device.fillPage(slots[p * PAGE] / PAGE, keys.get(p));
    try (OffHeapHostPool staging = new OffHeapHostPool(EngineScript.SHAPE, MemLayout.PAGE_FIRST, 2 * PAGE);
         DecodeOffload offload = new DecodeOffload(device, staging, l3, null, null)) {
      assertThat(offload.request(SALTED).offload(tokens, tokens.length, p -> slots[p])).isEqualTo(3);
    }
    assertThat(new HashSet<>(l3.keys())).containsExactlyInAnyOrderElementsOf(keys);
  }

  // ------------------------------------------------------------------------------------------
  // the quota

  private static final KvShape META = new KvShape(1, 1, 8, DType.FP16, false, PAGE);

  /** A metadata-only L1 of 8 pages: B caches 2 pages, then A 6, then A asks for 2 more. */
  private static long namespaceBAfterAGrows(double quota) {
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).build();
    HiCache.Builder b = HiCache.builder(config).metadataOnly(META, 8 * PAGE, 0).deterministic(CostModel.pcieGen5());
    if (quota > 0) b.namespaceQuota(quota);
    try (HiCache cache = b.build()) {
      compute(cache, prompt(10, 2 * PAGE), SALTED);
      compute(cache, prompt(11, 3 * PAGE), LORA);
      compute(cache, prompt(12, 3 * PAGE), LORA);
      assertThat(cache.namespaceTokens(LORA, Tier.DEVICE)).isEqualTo(6 * PAGE);
      compute(cache, prompt(13, 2 * PAGE), LORA);
      cache.checkInvariants();
      return cache.namespaceTokens(SALTED, Tier.DEVICE);
    }
  }

  private static void compute(HiCache cache, int[] tokens, Namespace ns) {
    cache.deterministicShell().advanceTo(cache.deterministicShell().now() + 1_000);
    CacheRequest r = cache.admit(tokens, 0, ns);
    assertThat(cache.extend(r, tokens.length)).isTrue();
    cache.finish(r, tokens, tokens.length);
  }

  @Test void withoutQuota_aGrowingNamespaceEvictsTheOldestPages_anyNamespaces() {
    assertThat(namespaceBAfterAGrows(0)).isZero();
  }

  @Test void withQuota_aNamespaceOverItEvictsItsOwnPagesFirst() {
    // Quota 0.5 of 8 pages = 4: A holds 6 and asks for 2, so its own oldest leaf goes, not B's.
    assertThat(namespaceBAfterAGrows(0.5)).isEqualTo(2 * PAGE);
  }

  @Test void theQuota_isAShareOfEachTier() {
    HiCache.Builder b = HiCache.builder(HiCacheConfig.builder().pageSize(PAGE).build());
    for (double bad : new double[] {0, -0.5, 1.5, Double.NaN}) {
      assertThatThrownBy(() -> b.namespaceQuota(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("HiCache.Builder.namespaceQuota").hasMessageContaining(String.valueOf(bad));
    }
  }
}
