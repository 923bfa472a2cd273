package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.MemLayout;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.metrics.InMemoryMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The production shell under concurrency: the scheduler thread (this test) keeps several requests
 * live at once while three I/O threads run copies and the device pool copies layer by layer on
 * its own threads. Bounded by a request count and a wall-clock budget (whichever comes first; the
 * budget only bounds the run, nothing asserts a time). Same invariants as the property tests:
 * every cached byte right, controller and tree invariants, metrics, native memory returned.
 *
 * <p>A contract suite: a subclass says which pools ({@link #pools()}) it runs on; hicache-core runs it
 * on its CPU pools ({@link ProductionShellStressTest}), hicache-l1-gpu on CudaDevicePool.
 */
public abstract class ProductionShellContract {
  /** The pools the stress runs on. */
  protected abstract EnginePools pools();

  private static final int PAGE = EngineScript.PAGE;
  private static final int REQUESTS = Integer.getInteger("hicache.stress.requests", 3000);
  private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("hicache.stress.seconds", 8));

  @ParameterizedTest
  @EnumSource(WritePolicyKind.class)
  public void concurrentCopies_serveOnlyRightBytes_andReturnAllMemory(WritePolicyKind policy) throws InterruptedException {
    run(policy, null);
  }

  @ParameterizedTest
  @EnumSource(value = WritePolicyKind.class, names = {"WRITE_THROUGH", "WRITE_BACK"})
  public void withL3OnItsOwnThreads_serveOnlyRightBytes(WritePolicyKind policy) throws InterruptedException {
    run(policy, new InMemoryL3StoreDouble());
  }

  private void run(WritePolicyKind policy, InMemoryL3StoreDouble l3) throws InterruptedException {
    ExecutorService copies = Executors.newFixedThreadPool(2);
    InMemoryMetrics metrics = new InMemoryMetrics();
    KeyedDevicePool device = pools().device(EngineScript.SHAPE, 24 * PAGE, copies);
    CorruptibleHostPool host = pools().host(EngineScript.SHAPE, MemLayout.PAGE_FIRST, 49 * PAGE);
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).writePolicy(policy).loadBackThreshold(PAGE)
        .prefetchThreshold(2 * PAGE).prefetchPolicy(dev.hicache.api.config.PrefetchPolicyKind.WAIT_COMPLETE).build();
    long storageHits = 0;
    Random rnd = new Random(policy.ordinal());
    int[][] docs = new int[6][64];
    for (int[] d : docs) for (int i = 0; i < d.length; i++) d[i] = rnd.nextInt(5000);
    long served = 0, promptTokens = 0, hostHits = 0, deviceHits = 0;
    int done = 0;
    long start = System.nanoTime();
    record Live(CacheRequest r, int[] tokens) {}
    List<Live> live = new ArrayList<>();
    HiCache.Builder builder = HiCache.builder(config).devicePool(device).hostPool(host).metrics(metrics).ioThreads(3);
    if (l3 != null) builder.storage(l3);
    try (HiCache cache = builder.build()) {
      while (done < REQUESTS && System.nanoTime() - start < BUDGET_NANOS || !live.isEmpty()) {
        boolean admitMore = done + live.size() < REQUESTS && System.nanoTime() - start < BUDGET_NANOS;
        if (admitMore && live.size() < 4) {
          int[] tokens = Arrays.copyOf(docs[rnd.nextInt(docs.length)], 2 + rnd.nextInt(62));
          int fork = rnd.nextInt(tokens.length + 1);
          for (int i = fork; i < tokens.length; i++) tokens[i] += 5000 * (1 + rnd.nextInt(2));
          CacheRequest r;
          if (l3 != null) {
            long rid = done + live.size() + 1_000_000L * policy.ordinal();
            cache.enqueue(rid, tokens);
            while (!cache.readyToAdmit(rid)) cache.poll(); // the L3 threads fetch; ticks decide
            r = cache.admit(rid, tokens, 0);
            storageHits += r.storageHitTokens();
          } else {
            r = cache.admit(tokens);
          }
          promptTokens += tokens.length;
          hostHits += r.hostHitTokens();
          deviceHits += r.deviceHitTokens();
          live.add(new Live(r, tokens));
        } else {
          Live l = live.get(rnd.nextInt(live.size()));
          int[] tokens = l.tokens();
          CacheRequest r = l.r();
          r.load().await(); // blocks on the I/O threads' layer-done counter
          assertThat(r.load().failure()).isNull();
          List<PageKey> keys = KeyedPages.keys(tokens, tokens.length, PAGE);
          int[] pages = r.devicePages();
          for (int i = 0; i < r.cachedTokens() / PAGE; i++) {
            if (!device.pageHolds(pages[i], keys.get(i))) throw new AssertionError("wrong KV served at page " + i + " under " + policy);
          }
          served += r.cachedTokens() / PAGE;
          if (!EngineScript.tryExtend(cache, r, tokens.length)) {
            cache.poll();
            if (rnd.nextInt(8) == 0) { // give up sometimes, as an engine under memory pressure retracts
              cache.abort(r);
              live.remove(l);
              done++;
            }
            continue;
          }
          pages = r.devicePages();
          for (int i = r.cachedTokens() / PAGE; i < tokens.length / PAGE; i++) device.fillPage(pages[i], keys.get(i));
          cache.finish(r, tokens, tokens.length);
          live.remove(l);
          done++;
        }
        cache.poll();
        if (done % 64 == 0) cache.checkInvariants();
      }
      while (cache.inFlightBackups() + cache.inFlightLoads() > 0) cache.poll();
      cache.checkInvariants();
      assertThat(metrics.counter("prompt_tokens")).isEqualTo(promptTokens);
      assertThat(metrics.counter("cached_tokens", Tier.HOST.sglangName())).isEqualTo(hostHits - storageHits);
      assertThat(metrics.counter("cached_tokens", Tier.STORAGE.sglangName())).isEqualTo(storageHits);
      assertThat(metrics.counter("cached_tokens", Tier.DEVICE.sglangName())).isEqualTo(deviceHits);
      assertThat(metrics.counter("load_back_tokens")).isEqualTo(hostHits);
      assertThat(metrics.counter("backuped_tokens", Tier.HOST.sglangName()) + metrics.counter("prefetched_tokens")
          - metrics.counter("evicted_tokens", Tier.HOST.sglangName())).isEqualTo(cache.hostCachedTokens());
      assertThat(metrics.counter("load_back_verify_failed_pages")).isZero();
      if (l3 == null) assertThat(metrics.counter("write_back_lost_tokens")).isZero();
    } finally {
      copies.shutdown();
      assertThat(copies.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(device.outstandingBytes() + host.outstandingBytes()).isZero();
    assertThat(done).isPositive();
    assertThat(served).isPositive();
    System.out.printf("stress %s%s: %d requests, %d cached pages checked, host hits %d tokens (storage %d)%n", policy,
        l3 == null ? "" : " with L3", done, served, hostHits, storageHits);
  }
}
