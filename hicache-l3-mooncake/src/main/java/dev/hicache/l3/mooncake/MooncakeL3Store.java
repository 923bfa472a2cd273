package dev.hicache.l3.mooncake;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Exception;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.MemoryRegistrar;
import dev.hicache.api.spi.MetricsSink;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * L3 on Mooncake Store with SGLang's Mooncake backend behaviour
 * (docs/behaviour.md#sglangs-mooncake-backend): one instance per rank; object keys per {@link
 * ObjectKeys}; batches of at most {@value L3Store#MAX_BATCH_PAGES} pages; zero-copy reads and
 * writes straight between registered host memory and the store.
 *
 * <ul>
 *   <li>{@link #batchExists}: {@code batch_is_exist} on every object of every page (answers kept
 *       briefly in an {@link ExistenceCache}); the number of leading pages whose objects all exist.
 *   <li>{@link #batchGet}: {@code batch_get_into}; a page is read only if every object returned
 *       exactly its part's size.
 *   <li>{@link #batchSet}: {@code batch_is_exist}, then {@code batch_put_from} for the missing
 *       objects only; a page is stored only if every object exists or was put. For MLA only TP rank
 *       0 writes (SGLang's {@code backup_skip}); other ranks acknowledge at once.
 * </ul>
 *
 * <p>Page parts: {@code [K, V]} for MHA, {@code [latent]} for MLA, each one contiguous run of
 * registered memory (the page_first / page_first_direct layouts; SGLang's Mooncake backend refuses
 * layer_first too).
 */
public final class MooncakeL3Store implements L3Store {
  private static final System.Logger LOG = System.getLogger(MooncakeL3Store.class.getName());
  private static final Capabilities CAPABILITIES = new Capabilities(true, true, false);

  /**
   * How long {@link #open} waits for {@code setup} by default: a reachable master answers within a
   * second or two, while an absent one keeps the library retrying for about 90 s.
   */
  public static final Duration DEFAULT_SETUP_DEADLINE = Duration.ofSeconds(20);

  /**
   * Per-rank options.
   *
   * @param mla whether pages are MLA (one latent object) rather than MHA (K and V objects)
   * @param tpRank attention-TP rank (the rank in MHA keys)
   * @param tpSize attention-TP size
   * @param ppSize pipeline-parallel size
   * @param profile SGLang-compatible or namespaced keys
   * @param namespace KV format identity (required for {@link ObjectKeys.Profile#NAMESPACED})
   * @param existenceTtl how long a {@code batch_is_exist} answer is reused; zero disables the cache
   * @param existenceCacheSize most object keys remembered
   * @param setupDeadline longest wait for {@code setup} (an absent master makes the library retry
   *     for about 90 s; past the deadline the error says what could not be reached)
   * @param warmupAttempts SGLang's warm-up put attempts (10)
   * @param warmupInterval pause between warm-up attempts (1 s)
   * @param replicate replication of written pages; null for the library's default (1 replica)
   * @param metrics where failures are counted
   */
  public record Options(boolean mla, int tpRank, int tpSize, int ppSize, ObjectKeys.Profile profile,
      Namespace namespace, Duration existenceTtl, long existenceCacheSize, Duration setupDeadline,
      int warmupAttempts, Duration warmupInterval, ReplicateConfig replicate, MetricsSink metrics) {

    public Options {
      if (tpSize < 1 || ppSize < 1 || tpRank < 0 || tpRank >= tpSize) {
        throw new MooncakeException.InvalidArgument("bad parallelism: tp_rank " + tpRank + ", tp_size " + tpSize
            + ", pp_size " + ppSize);
      }
      if (existenceTtl.isNegative()) throw new MooncakeException.InvalidArgument("existence TTL must be >= 0");
      if (warmupAttempts < 1) throw new MooncakeException.InvalidArgument("warm-up needs at least one attempt");
      if (metrics == null) metrics = MetricsSink.NONE;
    }

    /** SGLang's behaviour for one rank: compatible keys, a 1 s existence cache, SGLang's warm-up. */
    public static Options sglang(boolean mla, int tpRank, int tpSize) {
      return new Options(mla, tpRank, tpSize, 1, ObjectKeys.Profile.SGLANG_COMPATIBLE, null, Duration.ofSeconds(1),
          1 << 20, DEFAULT_SETUP_DEADLINE, 10, Duration.ofSeconds(1), null, MetricsSink.NONE);
    }

    /** A longer or shorter wait for {@code setup}. */
    public Options withSetupDeadline(Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new MooncakeException.InvalidArgument("the setup deadline must be positive, got " + d);
      }
      return new Options(mla, tpRank, tpSize, ppSize, profile, namespace, existenceTtl, existenceCacheSize, d,
          warmupAttempts, warmupInterval, replicate, metrics);
    }

    public Options withProfile(ObjectKeys.Profile p, Namespace ns) {
      return new Options(mla, tpRank, tpSize, ppSize, p, ns, existenceTtl, existenceCacheSize, setupDeadline,
          warmupAttempts, warmupInterval, replicate, metrics);
    }

    public Options withExistenceTtl(Duration ttl) {
      return new Options(mla, tpRank, tpSize, ppSize, profile, namespace, ttl, existenceCacheSize, setupDeadline,
          warmupAttempts, warmupInterval, replicate, metrics);
    }

    public Options withWarmup(int attempts, Duration interval) {
      return new Options(mla, tpRank, tpSize, ppSize, profile, namespace, existenceTtl, existenceCacheSize,
          setupDeadline, attempts, interval, replicate, metrics);
    }

    public Options withPp(int pp) {
      return new Options(mla, tpRank, tpSize, pp, profile, namespace, existenceTtl, existenceCacheSize,
          setupDeadline, warmupAttempts, warmupInterval, replicate, metrics);
    }

    public Options withMetrics(MetricsSink m) {
      return new Options(mla, tpRank, tpSize, ppSize, profile, namespace, existenceTtl, existenceCacheSize,
          setupDeadline, warmupAttempts, warmupInterval, replicate, m);
    }
  }

  private final MooncakeStore store;
  private final boolean ownsStore;
  private final Options options;
  private final ObjectKeys keys;
  private final ExistenceCache existence;
  private final MooncakeRegistrar registrar;
  private final MetricsSink metrics;
  private volatile boolean closed;

  /**
   * Wraps a store that is already set up.
   *
   * @param ownsStore whether {@link #close()} destroys {@code store}
   */
  public MooncakeL3Store(MooncakeStore store, boolean ownsStore, Options options, String extraBackendTag) {
    this.store = store;
    this.ownsStore = ownsStore;
    this.options = options;
    this.keys = new ObjectKeys(options.profile(), options.namespace(), extraBackendTag, options.mla(), options.tpRank());
    this.existence = new ExistenceCache(options.existenceTtl(), options.existenceCacheSize());
    this.registrar = new MooncakeRegistrar(store);
    this.metrics = options.metrics();
  }

  /**
   * Creates a store client for one rank, sets it up from {@code config} (segment divided by tp ×
   * pp) and warms it up as SGLang does. Fails with an {@link L3Exception} (and leaves nothing
   * behind) when the library, the configuration or the cluster is not usable.
   */
  public static MooncakeL3Store open(MooncakeConfig config, Options options, Map<String, String> env) {
    SetupParams params = config.setupParams(options.tpRank(), options.tpSize(), options.ppSize(), env);
    MooncakeStore store = MooncakeStore.create(StoreCLibrary.ensureLoaded(env));
    try {
      store.setup(params, options.setupDeadline(), env);
      var l3 = new MooncakeL3Store(store, true, options, config.extraBackendTag());
      l3.warmUp(params.localBufferSize());
      return l3;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /**
   * SGLang's warm-up (docs/behaviour.md#sglangs-mooncake-backend): put a 4 KiB value under a random
   * key, retrying, then check {@code is_exist == 1} and that the value reads back; the key is then
   * removed.
   */
  void warmUp(long localBufferSize) {
    String key = keys.prefix() + "sglang_mooncake_store_warmup_key" + UUID.randomUUID().toString().replace("-", "");
    try (Arena arena = Arena.ofShared()) {
      MemorySegment value = arena.allocate(4096, 64);
      byte[] pattern = HexFormat.of().parseHex(UUID.randomUUID().toString().replace("-", ""));
      for (long i = 0; i < value.byteSize(); i++) value.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, pattern[(int) (i % 16)]);
      MemorySegment back = arena.allocate(4096, 64);
      var reg = registrar.register(back);
      var srcReg = localBufferSize >= value.byteSize() ? null : registrar.register(value);
      try {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= options.warmupAttempts(); attempt++) {
          try {
            if (srcReg == null) store.put(key, value, options.replicate());
            else store.putFrom(key, value, options.replicate());
            last = null;
            break;
          } catch (MooncakeException e) {
            last = e;
            LOG.log(System.Logger.Level.WARNING, "Mooncake warm-up put attempt {0} of {1} failed: {2}", attempt,
                options.warmupAttempts(), e.getMessage());
            sleep(options.warmupInterval());
          }
        }
        if (last != null) throw last;
        if (!store.isExist(key)) {
          throw new L3Exception(L3Exception.Cause.UNAVAILABLE, "Mooncake warm-up: key " + key + " was put but is_exist says 0");
        }
        long n = store.getInto(key, back);
        if (n != value.byteSize() || back.mismatch(value) != -1) {
          throw new L3Exception(L3Exception.Cause.CORRUPT, "Mooncake warm-up: key " + key + " read back " + n
              + " bytes that differ from the 4096 bytes put");
        }
        // Forced: this read just leased the key, and no other client knows its random name.
        store.remove(key, true);
      } finally {
        reg.close();
        if (srcReg != null) srcReg.close();
      }
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MooncakeException.Timeout("interrupted during the Mooncake warm-up");
    }
  }

  @Override public String name() {
    return "mooncake";
  }

  @Override public Capabilities capabilities() {
    return CAPABILITIES;
  }

  /** Registers host memory (the L2 pool) with this store for zero-copy reads and writes. */
  public MemoryRegistrar registrar() {
    return registrar;
  }

  /** The underlying client (for tools and tests). */
  public MooncakeStore client() {
    return store;
  }

  public ObjectKeys objectKeys() {
    return keys;
  }

  /** Hits and misses of the existence cache. */
  public CacheStats existenceCacheStats() {
    return existence.stats();
  }

  // ---- L3Store -----------------------------------------------------------------------------------

  @Override public int batchExists(List<PageKey> pages) {
    requireOpen();
    L3Store.checkBatch(pages, null);
    if (pages.isEmpty()) return 0;
    requireMaster();
    int parts = keys.partsPerPage();
    String[] objects = objectKeys(pages);
    if (!existence.enabled()) {
      int[] rc = store.batchIsExist(objects);
      for (int i = 0; i < rc.length; i++) {
        if (rc[i] != 1) {
          if (rc[i] != 0) metrics.count("l3_exists_errors", ErrorCode.describe(rc[i]), 1);
          return i / parts;
        }
      }
      return pages.size();
    }
    Map<String, Boolean> known = existence.known(java.util.Arrays.asList(objects));
    // Ask the store only for what the cache does not know, once per key.
    var ask = new LinkedHashSet<String>();
    for (String k : objects) if (!known.containsKey(k)) ask.add(k);
    Map<String, Boolean> answers = new java.util.HashMap<>(known);
    if (!ask.isEmpty()) {
      String[] q = ask.toArray(String[]::new);
      int[] rc = store.batchIsExist(q);
      for (int i = 0; i < q.length; i++) {
        if (rc[i] == 1 || rc[i] == 0) {
          existence.put(q[i], rc[i] == 1);
        } else {
          metrics.count("l3_exists_errors", ErrorCode.describe(rc[i]), 1);
        }
        answers.put(q[i], rc[i] == 1);
      }
    }
    for (int p = 0; p < pages.size(); p++) {
      for (int j = 0; j < parts; j++) {
        if (!answers.get(objects[p * parts + j])) return p;
      }
    }
    return pages.size();
  }

  @Override public boolean[] batchGet(List<PageKey> pages, List<MemorySegment[]> targets) {
    requireOpen();
    L3Store.checkPageBatch(pages, targets);
    int parts = keys.partsPerPage();
    checkParts(targets, parts);
    boolean[] ok = new boolean[pages.size()];
    if (pages.isEmpty()) return ok;
    requireMaster();
    String[] objects = objectKeys(pages);
    MemorySegment[] buffers = flatten(targets, parts);
    long[] rc = readOnce(objects, buffers);
    for (int p = 0; p < pages.size(); p++) {
      boolean all = true;
      for (int j = 0; j < parts; j++) {
        int i = p * parts + j;
        if (rc[i] != buffers[i].byteSize() || rc[i] <= 0) {
          all = false;
          if (rc[i] < 0) {
            if (rc[i] != ErrorCode.LEASE_EXPIRED.code()) existence.invalidate(objects[i]);
            metrics.count("l3_read_failures", ErrorCode.describe(rc[i]), 1);
          } else {
            metrics.count("l3_read_failures", "size mismatch", 1);
          }
        }
      }
      ok[p] = all;
    }
    return ok;
  }

  /**
   * {@code batch_get_into} with each object key asked for once. Mooncake fills only the last buffer
   * given for a key that appears twice in one call, yet reports success for every occurrence; so a
   * repeated key is read into its first buffer and copied to the others, each of which must have
   * the size that was read.
   */
  private long[] readOnce(String[] objects, MemorySegment[] buffers) {
    int[] first = null; // first[i] = index of the first occurrence of objects[i], when repeated
    var seen = new java.util.HashMap<String, Integer>(objects.length * 2);
    for (int i = 0; i < objects.length; i++) {
      Integer f = seen.putIfAbsent(objects[i], i);
      if (f != null) {
        if (first == null) {
          first = new int[objects.length];
          for (int j = 0; j < objects.length; j++) first[j] = j;
        }
        first[i] = f;
      }
    }
    if (first == null) return store.batchGetInto(objects, buffers);
    int unique = seen.size();
    String[] askKeys = new String[unique];
    MemorySegment[] askBuffers = new MemorySegment[unique];
    int[] slot = new int[objects.length];
    for (int i = 0, u = 0; i < objects.length; i++) {
      if (first[i] == i) {
        askKeys[u] = objects[i];
        askBuffers[u] = buffers[i];
        slot[i] = u++;
      } else {
        slot[i] = slot[first[i]];
      }
    }
    long[] asked = store.batchGetInto(askKeys, askBuffers);
    long[] rc = new long[objects.length];
    for (int i = 0; i < objects.length; i++) {
      long r = asked[slot[i]];
      if (first[i] != i && r > 0) {
        if (buffers[i].byteSize() == r) {
          MemorySegment.copy(buffers[first[i]], 0, buffers[i], 0, r);
        } else {
          r = ErrorCode.INVALID_PARAMS.code(); // what the store answers for a buffer of the wrong size
        }
      }
      rc[i] = r;
    }
    return rc;
  }

  @Override public boolean[] batchSet(List<PageKey> pages, List<MemorySegment[]> sources) {
    requireOpen();
    L3Store.checkPageBatch(pages, sources);
    int parts = keys.partsPerPage();
    checkParts(sources, parts);
    boolean[] ok = new boolean[pages.size()];
    if (pages.isEmpty()) return ok;
    if (options.mla() && options.tpRank() != 0) {
      // SGLang's backup_skip: MLA KV is identical on every rank, so only rank 0 writes it.
      java.util.Arrays.fill(ok, true);
      return ok;
    }
    requireMaster();
    String[] objects = objectKeys(pages);
    MemorySegment[] buffers = flatten(sources, parts);
    // A key twice in one batch is written once (its first page wins); both pages share the outcome.
    var firstIndex = new java.util.HashMap<String, Integer>();
    for (int i = 0; i < objects.length; i++) firstIndex.putIfAbsent(objects[i], i);
    String[] unique = firstIndex.keySet().toArray(String[]::new);
    int[] exists = store.batchIsExist(unique);
    var putKeys = new ArrayList<String>();
    var putBuffers = new ArrayList<MemorySegment>();
    var stored = new java.util.HashMap<String, Boolean>();
    for (int u = 0; u < unique.length; u++) {
      if (exists[u] == 1) {
        stored.put(unique[u], true);
      } else {
        putKeys.add(unique[u]);
        putBuffers.add(buffers[firstIndex.get(unique[u])]);
      }
    }
    if (!putKeys.isEmpty()) {
      int[] rc = store.batchPutFrom(putKeys.toArray(String[]::new), putBuffers.toArray(MemorySegment[]::new),
          options.replicate());
      for (int j = 0; j < rc.length; j++) {
        stored.put(putKeys.get(j), rc[j] == 0);
        if (rc[j] != 0) {
          metrics.count("l3_write_failures", ErrorCode.describe(rc[j]), 1);
          existence.invalidate(putKeys.get(j));
        }
      }
    }
    boolean[] objectOk = new boolean[objects.length];
    for (int i = 0; i < objects.length; i++) objectOk[i] = stored.get(objects[i]);
    for (int p = 0; p < pages.size(); p++) {
      boolean all = true;
      for (int j = 0; j < parts; j++) all &= objectOk[p * parts + j];
      ok[p] = all;
      if (all) for (int j = 0; j < parts; j++) existence.put(objects[p * parts + j], true);
    }
    return ok;
  }

  /** {@link #removePage} is {@link L3Store.Removal#REMOVED}. */
  @Override public boolean remove(PageKey page) {
    return removePage(page) == Removal.REMOVED;
  }

  /**
   * Removes a page's objects in one call ({@code remove_by_regex} on the page's keys, so that no
   * reader or writer sees one part gone and another still there), <b>without force</b>: Mooncake's
   * forced remove ignores the read lease, and a read in flight could then count another page's
   * bytes, or a torn mix, as a hit. A page that a reader holds (its lease has not expired) stays,
   * whole, and the answer is {@link L3Store.Removal#IN_USE}; try again after the master's lease
   * TTL. The master scans every key for this, which is why the engine never removes pages on its
   * hot path (SGLang's backend has no remove at all).
   */
  @Override public Removal removePage(PageKey page) {
    requireOpen();
    L3Store.checkKey(page);
    int parts = keys.partsPerPage();
    try {
      requireMaster();
      long removed = store.removeByRegex(keys.pageRegex(page), false);
      if (removed >= parts) return Removal.REMOVED;
      // Leased objects were skipped; the rest of the page (if any) went. Tell "absent" from "in
      // use" part by part: a leased object answers OBJECT_HAS_LEASE, a missing one OBJECT_NOT_FOUND.
      boolean leased = false;
      for (int j = 0; j < parts; j++) {
        try {
          if (store.remove(keys.key(page, j), false)) removed++;
        } catch (MooncakeException.OperationFailed e) {
          if (e.errorCode() != ErrorCode.OBJECT_HAS_LEASE) throw e;
          leased = true;
        }
      }
      if (leased) {
        metrics.count("l3_remove_in_use", null, 1);
        return Removal.IN_USE;
      }
      return removed > 0 ? Removal.REMOVED : Removal.ABSENT;
    } finally {
      for (int j = 0; j < parts; j++) existence.invalidate(keys.key(page, j));
    }
  }

  /**
   * Drops pages: SGLang's {@code clear} ({@code remove_all}) when keys carry no prefix; otherwise
   * only this instance's keys ({@code remove_by_regex} on the prefix), so that other tenants keep
   * theirs. Without force, for the reason given at {@link #removePage}: pages being read at that
   * moment (their lease has not expired) stay, whole, and go with normal eviction or a later
   * clear. The module README says how long a lease lasts.
   */
  @Override public void clear() {
    requireOpen();
    try {
      requireMaster();
      if (keys.prefix().isEmpty()) {
        store.removeAll(false);
      } else {
        store.removeByRegex("^" + regexLiteral(keys.prefix()), false);
      }
    } finally {
      existence.invalidateAll();
    }
  }

  /**
   * Fails fast when the client's last ping of the master failed: while the master is down every
   * batch call blocks for seconds before failing, and a caller (the fault-tolerant decorator)
   * should detach at once instead. The client reconnects by itself; the master then has lost every
   * object it knew, so remembered existence answers are dropped.
   */
  private void requireMaster() {
    if (store.healthCheck() == MooncakeStore.Health.MASTER_UNREACHABLE) {
      existence.invalidateAll();
      metrics.count("l3_master_unreachable", null, 1);
      throw new L3Exception(L3Exception.Cause.UNAVAILABLE, "the Mooncake master is unreachable (health check); "
          + "L3 calls are refused until the client reconnects");
    }
  }

  /** Closes this L3 view; the client too when this view owns it. Idempotent. */
  @Override public void close() {
    closed = true;
    existence.invalidateAll();
    if (ownsStore) store.close();
  }

  private void requireOpen() {
    if (closed) throw new MooncakeException.NullHandle("this Mooncake L3 store is closed");
  }

  // ---- helpers -----------------------------------------------------------------------------------

  /** {@code s} as a literal in an ECMAScript (and POSIX extended) regular expression. */
  public static String regexLiteral(String s) {
    var b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if ("\\^$.|?*+()[]{}".indexOf(c) >= 0) b.append('\\');
      b.append(c);
    }
    return b.toString();
  }

  private String[] objectKeys(List<PageKey> pages) {
    int parts = keys.partsPerPage();
    String[] out = new String[pages.size() * parts];
    for (int p = 0; p < pages.size(); p++) {
      for (int j = 0; j < parts; j++) out[p * parts + j] = keys.key(pages.get(p), j);
    }
    return out;
  }

  private void checkParts(List<MemorySegment[]> buffers, int parts) {
    for (int p = 0; p < buffers.size(); p++) {
      if (buffers.get(p).length != parts) {
        throw new IllegalArgumentException("page " + p + " has " + buffers.get(p).length + " parts; a Mooncake "
            + (options.mla() ? "MLA page has 1 (the latent)" : "MHA page has 2 (K and V)"));
      }
    }
  }

  private static MemorySegment[] flatten(List<MemorySegment[]> buffers, int parts) {
    MemorySegment[] out = new MemorySegment[buffers.size() * parts];
    for (int p = 0; p < buffers.size(); p++) System.arraycopy(buffers.get(p), 0, out, p * parts, parts);
    return out;
  }
}
