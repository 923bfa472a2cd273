package dev.hicache.simulator.engine;

import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.metrics.MetricLabels;
import dev.hicache.api.spi.L3Store;
import dev.hicache.simulator.virtualtime.TieredSimulation;
import dev.hicache.simulator.virtualtime.VirtualTimeCluster;
import dev.hicache.core.sim.MatchTouch;
import dev.hicache.simulator.l3.EmbeddedL3;
import dev.hicache.simulator.l3.MemoryL3Store;
import dev.hicache.simulator.l3.MooncakeL3Model;
import dev.hicache.simulator.workload.PromptPageKeys;
import dev.hicache.simulator.workload.ReadAheadWorkload;
import dev.hicache.simulator.workload.Request;
import dev.hicache.simulator.workload.Workload;
import java.io.IOException;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * A workload through the real engine ({@link TieredSimulation}: the cache controller and radix
 * tree on the deterministic shell, in virtual time), collecting hit ratios by tier, TTFT and link
 * bytes. One prefill instance serving requests one at a time in arrival order; decode is charged
 * only when {@code decodeNanosPerToken} > 0 (by default the instance only prefills, as a prefill
 * node of a PD-disaggregated deployment).
 *
 * <p>With private links each instance serves its request to the end before the next arrival is
 * routed, and every instance first runs what is due before that arrival. With a shared link
 * ({@code --l3-link shared}, {@code --pcie-link shared}) that is not enough — a transfer started
 * later in the replay but earlier in virtual time would have slowed one already timed — so the
 * instances run in one {@link VirtualTimeCluster}: every event of every instance in global time
 * order, requests served as jobs that take turns. There the router cannot know when a busy
 * instance will be free: a new prefix goes to the idle instance free earliest, else to the one with
 * the fewest requests queued (PD decode instances likewise).
 */
public final class EngineReplay {
  // The report's prefetch section lists these counters under their InMemoryMetrics keys.
  private static final String TERMINATED_PREFIX = HiCacheMetric.PREFETCH_TERMINATED.key() + "{";
  private static final String SKIPPED_PREFIX = HiCacheMetric.PREFETCH_SKIPPED.key() + "{";
  /** Width of a timeline bucket (arrival time) in a run of less than MAX_TIMELINE_BUCKETS of them. */
  public static final long TIMELINE_BUCKET_NANOS = 10_000_000_000L;
  /** Most timeline buckets: a longer run gets wider buckets (two, four, ... times as wide). */
  public static final int MAX_TIMELINE_BUCKETS = 1024;

  private final EngineSetup setup;
  private final ReplayClock l3Clock = new ReplayClock(); // the Mooncake model's time
  /** Page keys by serial made on the replay thread when there is no read-ahead thread (null: none). */
  private PromptPageKeys inlineKeys;
  /** The workload's pinned prefix (null: none), pinned again after every request that carries it. */
  private int[] pinned;
  /** How long each renewal of the pin lasts, in virtual time: far longer than any gap between its requests. */
  static final java.time.Duration PIN_TTL = java.time.Duration.ofHours(1);

  public EngineReplay(EngineSetup setup) {
    this.setup = setup;
  }

  /** Runs the whole workload; {@code progress} (may be null) gets the requests done so far. */
  public EngineResult run(Workload workload, LongConsumer progress) throws IOException {
    return run(workload, progress, null);
  }

  /**
   * Runs the workload twice against one L3: the first run fills it, the second (reported) starts
   * with empty L1 and L2 and the warm L3, as bench_multiturn's flush_cache between runs does.
   */
  public EngineResult runPrepopulated(java.util.function.Supplier<Workload> workloads, LongConsumer progress)
      throws IOException {
    if (setup.l3Tokens() == 0) throw new IllegalArgumentException("prepopulating L3 needs an L3");
    long pages = setup.l3Tokens() / setup.config().pageSize();
    L3Store shared = setup.l3Backend().equals("mooncake") ? new MooncakeL3Model(pages, setup.mooncake(), l3Clock)
        : setup.l3Backend().equals("local") ? EmbeddedL3.open(pages, setup.l3Eviction(), setup.l3Store()).store()
        : new MemoryL3Store(pages);
    try {
      try (Workload first = workloads.get()) {
        run(first, null, shared);
      }
      try (Workload second = workloads.get()) {
        return run(second, progress, shared);
      }
    } finally {
      shared.close(); // also when the first run fails
    }
  }

  private EngineResult run(Workload workload, LongConsumer progress, L3Store givenL3) throws IOException {
    long t0 = System.nanoTime();
    int pageSize = setup.config().pageSize();
    long device = setup.deviceTokens() / pageSize * pageSize;
    long host = setup.hostTokens() / pageSize * pageSize;
    if (device > Integer.MAX_VALUE || host > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("capacities above " + Integer.MAX_VALUE + " tokens are not supported by the engine");
    }
    int instances = setup.instances();
    Request r = new Request();
    TieredSimulation[] sims = new TieredSimulation[instances];
    Router router = new Router(setup.routing(), instances, pageSize, setup.affinityTokens());
    L3Store l3Store = null;
    AutoCloseable l3Owner = null;
    if (givenL3 != null) {
      l3Store = givenL3;
    } else if (setup.l3Tokens() > 0) {
      long l3Pages = setup.l3Tokens() / pageSize;
      if (setup.l3Backend().equals("local")) {
        EmbeddedL3 e = EmbeddedL3.open(l3Pages, setup.l3Eviction(), setup.l3Store());
        l3Store = e.store();
        l3Owner = e;
      } else if (setup.l3Backend().equals("mooncake")) {
        l3Store = new MooncakeL3Model(l3Pages, setup.mooncake(), l3Clock);
      } else {
        l3Store = new MemoryL3Store(l3Pages);
      }
    }
    L3Store l3 = l3Store;
    pinned = workload.pinnedPrefix();
    ReadAheadWorkload readAhead = null;
    int decoders = setup.decodeInstances();
    BoxLinks links = new BoxLinks(setup);
    TieredSimulation[] decodeSims = new TieredSimulation[decoders];
    try {
      for (int i = 0; i < instances; i++) {
        // PD: prefill instances never decode; the decode instances charge it.
        sims[i] = new TieredSimulation(setup.config(), setup.shape(), (int) device, (int) host, links.pcie(i, false),
            setup.prefillNanosPerToken(), decoders > 0 ? 0 : setup.decodeNanosPerToken(), MatchTouch.MATCHED_ONLY,
            l3, l3 == null ? null : links.l3(i, false))
            .attention(setup.hardware().attentionNanosPerTokenPair(setup.model(), setup.tp()))
            .prefillFloor(setup.hardware().prefillFloorNanos(setup.model()), setup.hardware().prefillOverheadNanos(setup.model()));
      }
      // A decode instance receives the KV from its prefill instance (no prefill of its own, no
      // prefetch from L3); with offload its host tier stages the finished sequence's pages for L3.
      dev.hicache.api.config.HiCacheConfig decodeConfig = setup.config().toBuilder()
          .prefetchThreshold(Integer.MAX_VALUE).build();
      L3Store decodeL3 = setup.decodeOffload() ? l3 : null;
      for (int i = 0; i < decoders; i++) {
        decodeSims[i] = new TieredSimulation(decodeConfig, setup.shape(), (int) device,
            decodeL3 == null ? 0 : (int) host, links.pcie(i, true), 0, setup.decodeNanosPerToken(),
            MatchTouch.MATCHED_ONLY, decodeL3, decodeL3 == null ? null : links.l3(i, true));
      }
      l3Clock.attach(sims, decodeSims);
      MooncakeL3Model.Stats l3Start = l3 instanceof MooncakeL3Model mm ? mm.stats() : null;
      long[] decodeFreeAt = new long[decoders];
      long[] freeAt = new long[instances];
      Tally tally = new Tally(instances, pageSize, progress);
      tally.l3PageBytes = setup.shape().bytesPerPage();
      tally.l3HeldTokens = l3HeldTokens(l3, pageSize);
      // A second thread reads the workload ahead and, with L3, makes each prompt's page keys, which
      // the engine then takes instead of hashing (same results: keys are a pure function of the
      // request; -Dhicache.readAhead=false turns it off to check that, or to time the engine hashing
      // itself: keys by serial are then made here, keys by tokens by the engine).
      inlineKeys = null;
      if (workload.openLoop() && !"false".equals(System.getProperty("hicache.readAhead"))) {
        // The router's prefix hash of each prompt is made there too (a pure function of its tokens).
        workload = readAhead = new ReadAheadWorkload(workload, 64, l3 != null ? pageSize : 0,
            router.hashesPrefixes() ? router::key : null);
      } else if (l3 != null) {
        inlineKeys = new PromptPageKeys(pageSize);
      }
      if (links.any()) {
        onVirtualThread(workload, r, sims, decodeSims, router, tally);
      } else {
        while (workload.next(r)) serve(r, sims, decodeSims, router, freeAt, decodeFreeAt, tally, workload);
      }
      long decoded = tally.decoded;
      int n = tally.n;
      long[] ttft = tally.ttft, queued = tally.queued;
      long prefetchWait = tally.prefetchWait, lastFinish = tally.lastFinish;
      TreeMap<Integer, long[]> groups = tally.groups;
      java.util.List<EngineResult.Interval> timeline = tally.timeline.stream().map(EngineResult.Interval::of).toList();
      long requests = 0, prompt = 0, dev = 0, hst = 0, unc = 0, d2h = 0, h2d = 0, evD = 0, evH = 0, sto = 0;
      long l3Read = 0, l3Write = 0;
      TreeMap<String, Long> prefetch = new TreeMap<>();
      for (TieredSimulation sim : sims) {
        sim.drain();
        var m = sim.metrics();
        sto += sim.storageHitTokens();
        l3Read += m.counter(HiCacheMetric.L3_PAGES.key(), MetricLabels.READ);
        l3Write += m.counter(HiCacheMetric.L3_PAGES.key(), MetricLabels.WRITE);
        m.counters().forEach((k, v) -> {
          if (k.startsWith(TERMINATED_PREFIX) || k.startsWith(SKIPPED_PREFIX)) {
            prefetch.merge(k, v, Long::sum);
          }
        });
        requests += sim.requests();
        prompt += sim.promptTokens();
        dev += sim.deviceHitTokens();
        hst += sim.hostHitTokens();
        unc += sim.uncachedRequests();
        d2h += m.counter(HiCacheMetric.BACKUP_BYTES.key());
        h2d += m.counter(HiCacheMetric.LOAD_BACK_BYTES.key());
        evD += m.counter(HiCacheMetric.EVICTED_TOKENS.key(), MetricLabels.DEVICE);
        evH += m.counter(HiCacheMetric.EVICTED_TOKENS.key(), MetricLabels.HOST);
      }
      long decodeL3Write = 0;
      for (TieredSimulation d : decodeSims) {
        d.drain();
        decodeL3Write += d.metrics().counter(HiCacheMetric.L3_PAGES.key(), MetricLabels.WRITE);
      }
      long[] sorted = Arrays.copyOf(ttft, n);
      Arrays.sort(sorted);
      long[] q = Arrays.copyOf(queued, n);
      Arrays.sort(q);
      EngineResult.Queueing queueing = new EngineResult.Queueing(percentile(q, 0.5), percentile(q, 0.9),
          percentile(q, 0.99), n == 0 ? 0 : Arrays.stream(q).sum() / n, n == 0 ? 0 : prefetchWait / n);
      TreeMap<Integer, EngineResult.GroupStats> groupStats = new TreeMap<>();
      groups.forEach((k, g) -> groupStats.put(k, new EngineResult.GroupStats(g[0], g[1], g[2], g[3], g[5], g[4])));
      return new EngineResult(setup,
          workload.describe() + (givenL3 != null ? "; L3 prepopulated by a first run" : ""), workload.groupName(),
          new EngineResult.Hits(requests, prompt, dev, hst - sto, sto, unc),
          new EngineResult.Ttft(percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99),
              n == 0 ? 0 : Arrays.stream(sorted).sum() / n, TtftCdf.of(ttft, tally.tier, n)),
          queueing, new EngineResult.Links(d2h, h2d, l3Read, l3Write, links.sharedL3Transfers()),
          new EngineResult.Evictions(evD, evH), new EngineResult.PrefetchOutcomes(prefetch),
          new EngineResult.Decode(decoded, decodeL3Write),
          l3 instanceof MooncakeL3Model mm ? mm.stats().since(l3Start) : null,
          new EngineResult.Span(lastFinish, System.nanoTime() - t0, tally.pageReferences), groupStats, timeline);
    } finally {
      if (readAhead != null) readAhead.close();
      for (TieredSimulation sim : sims) if (sim != null) sim.close();
      for (TieredSimulation sim : decodeSims) if (sim != null) sim.close();
      if (l3Owner != null) {
        try {
          l3Owner.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing the embedded L3 failed", e);
        }
      }
    }
  }

  /**
   * One request of the replay on private links, in arrival order. A method of its own, not the loop
   * body of {@code run}: that is called once, so its loop is compiled only by on-stack replacement,
   * which the launcher delays (docs/design.md#the-launcher), while this is compiled as any method is,
   * after a few hundred requests.
   */
  private void serve(Request r, TieredSimulation[] sims, TieredSimulation[] decodeSims, Router router, long[] freeAt,
      long[] decodeFreeAt, Tally tally, Workload workload) {
    int instances = sims.length, decoders = decodeSims.length;
    keyBySerial(r);
    // One global virtual-time order: every instance first runs what is due before this arrival
    // (its L2->L3 backups included), so what a warm instance has written to the shared L3 by
    // then is there for a cold one, and nothing written later is.
    if (instances > 1 || decoders > 0) {
      for (TieredSimulation s : sims) s.advanceTo(r.arrivalNanos);
      for (TieredSimulation s : decodeSims) s.advanceTo(r.arrivalNanos);
    }
    int target = router.route(r, freeAt);
    TieredSimulation sim = sims[target];
    // Without PD the instance decodes too and caches the answer when the workload knows it
    // (cache_finished_req); a PD prefill instance never sees the output.
    TieredSimulation.Outcome o = decoders > 0 ? sim.submit(r.arrivalNanos, r.tokens, null, r.outputTokens, r.pageKeys, r.namespace)
        : sim.submit(r.arrivalNanos, r.tokens, r.outputIds, r.outputTokens, r.pageKeys, r.namespace);
    pinAfter(sim, r.tokens, r.namespace);
    freeAt[target] = o.finishedAtNanos();
    long finished = o.finishedAtNanos();
    if (decoders > 0) {
      int d = 0;
      for (int i = 1; i < decoders; i++) if (decodeFreeAt[i] < decodeFreeAt[d]) d = i;
      // The prompt's keys, so that a decode instance's offload names the pages as the prefill side does.
      TieredSimulation.Outcome od = decodeSims[d].submit(o.readyAtNanos(), decodeSequence(r), null, r.outputTokens,
          r.pageKeys, r.namespace);
      decodeFreeAt[d] = od.finishedAtNanos();
      finished = od.finishedAtNanos();
      tally.decoded++;
    }
    tally.record(r, target, sim, o, finished, workload);
  }

  /**
   * Without the read-ahead thread: a request that carries page serials gets its keys from them here
   * (the engine would hash its tokens instead: other keys for the same pages, so a run's keys
   * would depend on -Dhicache.readAhead); null otherwise, the engine hashes.
   */
  private void keyBySerial(Request r) {
    if (inlineKeys != null) r.pageKeys = r.pageSerials != null ? inlineKeys.of(r) : null;
  }

  /** The L3's tokens held (pages x page size), read in O(1) at each completion; null without L3. */
  private static java.util.function.LongSupplier l3HeldTokens(L3Store l3, int pageSize) {
    return switch (l3) {
      case null -> null;
      case MooncakeL3Model m -> () -> m.size() * pageSize;
      case MemoryL3Store m -> () -> m.size() * pageSize;
      case dev.hicache.l3.local.LocalL3Store m -> () -> m.size() * pageSize;
      case dev.hicache.simulator.l3.LocalLruL3Model m -> () -> m.size() * pageSize;
      default -> throw new IllegalStateException("no occupancy for the L3 " + l3.name());
    };
  }

  /**
   * The application pins its prefix after a request carrying it was served there (the cache now
   * holds it), in the request's namespace: each tenant's copy is its own pin.
   */
  private void pinAfter(TieredSimulation sim, int[] tokens, dev.hicache.api.Namespace namespace) {
    if (pinned != null && tokens.length >= pinned.length && Arrays.equals(tokens, 0, pinned.length, pinned, 0, pinned.length)) {
      sim.pin(pinned, PIN_TTL, namespace);
    }
  }

  /** The sequence a decode instance holds: the prompt, plus the output when it offloads to L3 and knows it. */
  private int[] decodeSequence(Request r) {
    if (!setup.decodeOffload() || r.outputIds == null) return r.tokens;
    int[] sequence = Arrays.copyOf(r.tokens, r.tokens.length + r.outputIds.length);
    System.arraycopy(r.outputIds, 0, sequence, r.tokens.length, r.outputIds.length);
    return sequence;
  }

  /**
   * The replay on shared links: all instances in one global virtual-time order. Each request is a
   * job on its instance, handed over at its arrival; the next arrival is routed once everything
   * due before it has run. Routing and the choice of decode instance know only the past: an idle
   * instance's last finish, a busy one's queue.
   */
  private void runInOneTimeOrder(Workload workload, Request r, TieredSimulation[] sims, TieredSimulation[] decodeSims,
      Router router, Tally tally) throws IOException {
    // A closed-loop workload decides its next request from completions, which here are known only
    // as the cluster reaches them: it is driven one send attempt at a time, after everything due by
    // the attempt has run.
    boolean closedLoop = !workload.openLoop();
    if (closedLoop && workload.nextAttemptNanos() == Long.MIN_VALUE) {
      throw new IllegalArgumentException("shared links (--l3-link shared, --pcie-link shared) need an open-loop"
          + " workload or one driven attempt by attempt: " + workload.describe());
    }
    int instances = sims.length, decoders = decodeSims.length;
    long[] lastFinish = new long[instances], decodeLastFinish = new long[decoders];
    long[] key = new long[instances];
    try (VirtualTimeCluster cluster = new VirtualTimeCluster()) {
      for (TieredSimulation s : sims) cluster.add(s);
      for (TieredSimulation s : decodeSims) cluster.add(s);
      while (true) {
        if (closedLoop) {
          long attemptAt = workload.nextAttemptNanos();
          if (attemptAt == Long.MAX_VALUE) break;
          cluster.runUntil(attemptAt);
          if (!workload.attempt(r)) continue;
        } else {
          if (!workload.next(r)) break;
          keyBySerial(r);
          cluster.runUntil(r.arrivalNanos);
        }
        Request q = copy(r);
        for (int i = 0; i < instances; i++) key[i] = freeKey(cluster.jobs(i), lastFinish[i]);
        int target = router.route(q, key);
        TieredSimulation sim = sims[target];
        // The cluster never goes back: a workload whose arrivals decreased (traces refuse that)
        // would have the request arrive now, its time to first token still counted from its own.
        long at = Math.max(q.arrivalNanos, cluster.now());
        cluster.submit(target, at, () -> {
              TieredSimulation.Outcome o = decoders > 0
                  ? sim.submit(at, q.tokens, null, q.outputTokens, q.pageKeys, q.namespace)
                  : sim.submit(at, q.tokens, q.outputIds, q.outputTokens, q.pageKeys, q.namespace);
              pinAfter(sim, q.tokens, q.namespace);
              return o;
            }, o -> {
              lastFinish[target] = o.finishedAtNanos();
              if (decoders == 0) {
                tally.record(q, target, sim, o, o.finishedAtNanos(), workload);
                return;
              }
              int d = 0;
              for (int i = 1; i < decoders; i++) {
                long ki = freeKey(cluster.jobs(instances + i), decodeLastFinish[i]);
                if (ki < freeKey(cluster.jobs(instances + d), decodeLastFinish[d])) d = i;
              }
              int dd = d;
              int[] sequence = decodeSequence(q);
              cluster.submit(instances + d, o.readyAtNanos(),
                  () -> decodeSims[dd].submit(o.readyAtNanos(), sequence, null, q.outputTokens, q.pageKeys, q.namespace), od -> {
                    decodeLastFinish[dd] = od.finishedAtNanos();
                    tally.decoded++;
                    tally.record(q, target, sim, o, od.finishedAtNanos(), workload);
                  });
            });
      }
      cluster.drain();
    }
  }

  /** {@link #runInOneTimeOrder} on a virtual thread: the cluster's hand-offs are then continuation switches. */
  private void onVirtualThread(Workload workload, Request r, TieredSimulation[] sims, TieredSimulation[] decodeSims,
      Router router, Tally tally) throws IOException {
    Throwable[] failed = new Throwable[1];
    Thread driver = Thread.ofVirtual().name("hicache-sim-driver").start(() -> {
      try {
        runInOneTimeOrder(workload, r, sims, decodeSims, router, tally);
      } catch (Throwable e) {
        failed[0] = e;
      }
    });
    try {
      driver.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while replaying", e);
    }
    if (failed[0] instanceof IOException io) throw io;
    if (failed[0] instanceof RuntimeException re) throw re;
    if (failed[0] instanceof Error er) throw er;
    if (failed[0] != null) throw new IllegalStateException(failed[0]);
  }

  /** Routing key: an idle instance by when it became free, then busy ones by their queue. */
  private static long freeKey(int jobs, long lastFinish) {
    return jobs == 0 ? lastFinish : Long.MAX_VALUE / 2 + jobs;
  }

  /** The fields a request's job and its report need (the workload reuses {@code r}). */
  private static Request copy(Request r) {
    return new Request().copyFrom(r);
  }

  /** Per-request figures as requests finish: TTFT, queueing, groups, the timeline. */
  private static final class Tally {
    long[] ttft = new long[1024];
    long[] queued = new long[1024];
    /** Per request, the tier that served most of its hit ({@link TtftCdf#tierOf}): the report's TTFT CDF by tier. */
    byte[] tier = new byte[1024];
    long prefetchWait;
    int n;
    long decoded;
    long lastFinish;
    final TreeMap<Integer, long[]> groups = new TreeMap<>(); // group -> {requests, prompt, device, host, ttftSum, storage}
    // per interval of arrival time: the columns of EngineResult.Bucket
    final java.util.ArrayList<long[]> timeline = new java.util.ArrayList<>();
    /** Each instance's L1 and L2 tokens as of its latest request, and their sums over the instances. */
    final long[] lastL1Held, lastL2Held;
    long l1Held, l2Held;
    final long[] lastD2h;
    final long[] lastH2d;
    final long[] lastL3Read;
    final long[] lastL3Write;
    final LongConsumer progress;
    /** KV bytes an L3 page stands for (metadata-only pages are stubs). */
    long l3PageBytes;
    /** Tokens the shared L3 holds now (its pages x page size); null without L3. */
    java.util.function.LongSupplier l3HeldTokens;

    /** Full prompt pages of the requests recorded (page events). */
    long pageReferences;
    final int pageSize;

    /** TIMELINE_BUCKET_NANOS per timeline bucket: doubles whenever the timeline would pass MAX_TIMELINE_BUCKETS. */
    long bucketWidth = 1;
    /** The first arrival: the timeline counts from it, whatever the workload's time origin. */
    long firstArrival = -1;

    /**
     * The bucket of an arrival, relative to the first one; a bounded number of buckets (wider ones
     * for a long run), with the columns of {@link EngineResult.Bucket}.
     */
    long[] bucket(long arrivalNanos) {
      if (firstArrival < 0) firstArrival = arrivalNanos;
      long interval = Math.max(0, arrivalNanos - firstArrival) / TIMELINE_BUCKET_NANOS;
      while (interval / bucketWidth >= MAX_TIMELINE_BUCKETS) {
        // Merge pairs: same totals, half the buckets, each twice as wide.
        java.util.ArrayList<long[]> merged = new java.util.ArrayList<>();
        for (int i = 0; i < timeline.size(); i += 2) {
          long[] a = timeline.get(i);
          if (i + 1 < timeline.size()) {
            long[] c = timeline.get(i + 1);
            for (int k = 0; k < a.length; k++) if (k != EngineResult.Bucket.START_SECONDS) a[k] += c[k];
          }
          merged.add(a);
        }
        timeline.clear();
        timeline.addAll(merged);
        bucketWidth *= 2;
      }
      int index = (int) (interval / bucketWidth);
      while (timeline.size() <= index) {
        long[] b = new long[EngineResult.Bucket.COLUMNS];
        b[EngineResult.Bucket.START_SECONDS] = timeline.size() * bucketWidth * (TIMELINE_BUCKET_NANOS / 1_000_000_000L);
        timeline.add(b);
      }
      return timeline.get(index);
    }

    Tally(int instances, int pageSize, LongConsumer progress) {
      this.pageSize = pageSize;
      lastD2h = new long[instances];
      lastH2d = new long[instances];
      lastL3Read = new long[instances];
      lastL3Write = new long[instances];
      lastL1Held = new long[instances];
      lastL2Held = new long[instances];
      this.progress = progress;
    }

    void record(Request r, int target, TieredSimulation sim, TieredSimulation.Outcome o, long finished,
        Workload workload) {
      long t = o.readyAtNanos() - r.arrivalNanos;
      if (n == ttft.length) {
        ttft = Arrays.copyOf(ttft, n * 2);
        queued = Arrays.copyOf(queued, n * 2);
        tier = Arrays.copyOf(tier, n * 2);
      }
      int hostOnly = o.hostHitTokens() - o.storageHitTokens();
      tier[n] = TtftCdf.tierOf(o.deviceHitTokens(), hostOnly, o.storageHitTokens());
      queued[n] = o.startedAtNanos() - r.arrivalNanos;
      prefetchWait += o.admittedAtNanos() - o.startedAtNanos();
      ttft[n++] = t;
      pageReferences += r.tokens.length / pageSize;
      long[] g = groups.computeIfAbsent(r.group, k -> new long[6]);
      g[0]++;
      g[1] += o.promptTokens();
      g[2] += o.deviceHitTokens();
      g[3] += o.hostHitTokens() - o.storageHitTokens();
      g[4] += t;
      g[5] += o.storageHitTokens();
      lastFinish = Math.max(lastFinish, finished);
      long[] b = bucket(r.arrivalNanos);
      long d2h = sim.metrics().counter(HiCacheMetric.BACKUP_BYTES.key());
      long h2d = sim.metrics().counter(HiCacheMetric.LOAD_BACK_BYTES.key());
      b[0] += o.promptTokens();
      b[1] += o.cachedTokens();
      b[2] += d2h - lastD2h[target];
      b[3] += h2d - lastH2d[target];
      lastD2h[target] = d2h;
      lastH2d[target] = h2d;
      long l3r = sim.metrics().counter(HiCacheMetric.L3_PAGES.key(), MetricLabels.READ), l3w = sim.metrics().counter(HiCacheMetric.L3_PAGES.key(), MetricLabels.WRITE);
      b[4] += (l3r - lastL3Read[target]) * l3PageBytes;
      b[5] += (l3w - lastL3Write[target]) * l3PageBytes;
      lastL3Read[target] = l3r;
      lastL3Write[target] = l3w;
      b[EngineResult.Bucket.L1_HIT] += o.deviceHitTokens();
      b[EngineResult.Bucket.L2_HIT] += hostOnly;
      b[EngineResult.Bucket.L3_HIT] += o.storageHitTokens();
      long l1 = sim.deviceCachedTokens(), l2 = sim.hostCachedTokens();
      l1Held += l1 - lastL1Held[target];
      l2Held += l2 - lastL2Held[target];
      lastL1Held[target] = l1;
      lastL2Held[target] = l2;
      b[EngineResult.Bucket.L1_HELD] += l1Held;
      b[EngineResult.Bucket.L2_HELD] += l2Held;
      b[EngineResult.Bucket.SAMPLES]++;
      if (l3HeldTokens != null) b[EngineResult.Bucket.L3_HELD] += l3HeldTokens.getAsLong();
      workload.completed(r, finished);
      if (progress != null && (n & 255) == 0) progress.accept(n);
    }
  }

  /** Which instance serves a request. */
  static final class Router {
    private final String policy;
    private final int instances;
    private final int pageSize;
    private final int affinityTokens;
    /**
     * Prefix hash -> instance that served it first: open addressing (no boxed keys or values, no
     * nodes), each position's hash and instance side by side ({@code owners[2i]}, {@code
     * owners[2i + 1]} = instance + 1, 0 = empty), so a probe reads one cache line, not one per array.
     */
    private long[] owners = new long[2 * 1024];
    private int ownerCount;
    private final java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
    private int next;

    Router(String policy, int instances, int pageSize, int affinityTokens) {
      this.policy = policy;
      this.instances = instances;
      this.pageSize = pageSize;
      this.affinityTokens = affinityTokens;
    }

    /** Whether {@link #route} looks up the prompt's {@link #key} (prefix affinity over several instances). */
    boolean hashesPrefixes() {
      return instances > 1 && !policy.equals("round_robin") && !policy.equals("random");
    }

    /**
     * Prefix affinity's key of a prompt: the hash of its first affinityTokens (page-aligned). A pure
     * function of the tokens, so the read-ahead thread may make it ({@link Request#routeKey}).
     */
    long key(int[] tokens) {
      return prefixHash(tokens, Math.min(tokens.length / pageSize * pageSize, affinityTokens));
    }

    /**
     * @param r the request (its tokens, or its {@link Request#routeKey} when made already)
     * @param freeAt when each instance finished its last request (it serves one at a time)
     */
    int route(Request r, long[] freeAt) {
      if (instances == 1) return 0;
      return switch (policy) {
        case "round_robin" -> next++ % instances;
        case "random" -> rnd.nextInt(instances);
        default -> {
          // Prefix affinity: requests that share their first affinityTokens (page-aligned) go where
          // that prefix went before; a new prefix goes to the instance that is free earliest.
          long h = r.routeKeyed ? r.routeKey : key(r.tokens);
          int at = position(owners, h);
          if (owners[at + 1] == 0) {
            int best = 0;
            for (int i = 1; i < instances; i++) if (freeAt[i] < freeAt[best]) best = i;
            owners[at] = h;
            owners[at + 1] = best + 1;
            if (++ownerCount > owners.length / 4) grow();
            yield best;
          }
          yield (int) owners[at + 1] - 1;
        }
      };
    }

    /**
     * A 64-bit hash of {@code tokens[0, len)}: four independent multiply chains over every fourth
     * token, then folded, so the CPU runs the chains side by side (one chain over the 1,024 tokens
     * of the default affinity prefix was a serial 1,024-multiply dependency per request).
     */
    static long prefixHash(int[] tokens, int len) {
      final long m = 0x9E3779B97F4A7C15L;
      long h0 = len, h1 = 1, h2 = 2, h3 = 3;
      int i = 0;
      for (; i + 4 <= len; i += 4) {
        h0 = (h0 ^ tokens[i]) * m;
        h1 = (h1 ^ tokens[i + 1]) * m;
        h2 = (h2 ^ tokens[i + 2]) * m;
        h3 = (h3 ^ tokens[i + 3]) * m;
      }
      for (; i < len; i++) h0 = (h0 ^ tokens[i]) * m;
      long h = (h0 ^ h1) * m;
      h = (h ^ h2) * m;
      return (h ^ h3) * m;
    }

    /**
     * The index in {@code table} of prefix hash {@code h}'s position (its hash; the instance follows):
     * where it is, or the empty position where it goes. The same probe order as one table of
     * positions {@code 0 .. table.length / 2}.
     */
    private static int position(long[] table, long h) {
      int mask = table.length / 2 - 1;
      long x = h * 0x9E3779B97F4A7C15L;
      for (int i = (int) (x ^ (x >>> 32)) & mask; ; i = (i + 1) & mask) {
        if (table[2 * i + 1] == 0 || table[2 * i] == h) return 2 * i;
      }
    }

    private void grow() {
      long[] old = owners;
      owners = new long[old.length * 2];
      for (int i = 0; i < old.length; i += 2) {
        if (old[i + 1] == 0) continue;
        int at = position(owners, old[i]);
        owners[at] = old[i];
        owners[at + 1] = old[i + 1];
      }
    }
  }

  /** bench_multiturn's percentile: sorted[int(q × n)]. */
  static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) return 0;
    return sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))];
  }
}
