package dev.hicache.simulator.l3;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A model of a Mooncake Store pool as the master manages it
 * (docs/behaviour.md#master-eviction, docs/behaviour.md#leases), in virtual time:
 *
 * <ul>
 *   <li>Objects are pages, all of one size: the master counts objects for the eviction amounts and
 *       bytes for the used ratio, and with equal objects those agree, so capacity is in pages
 *       ({@code --l3-capacity-tokens} / page size) whatever bytes a page holds here.
 *   <li>Leases: an existence check or a get of a present object sets {@code lease_timeout =
 *       max(old, now + lease TTL)}; a completed put sets {@code max(old, now)} — a page just
 *       written is evictable at once. {@link #batchSet} first checks existence the way HiCache's
 *       Mooncake backend does ({@code batch_is_exist}, then puts only the missing pages), so pages
 *       already present are touched, not written.
 *   <li>A put that finds the pool full fails (NO_AVAILABLE_HANDLE, −200): the page is reported not
 *       stored, nothing blocks or retries, and the master is asked to evict ({@code need_eviction}).
 *   <li>The eviction thread wakes every {@value #EVICTION_INTERVAL_NANOS} ns of virtual time. When
 *       used > high watermark, or a put failed since the last pass that evicted (and eviction ratio >
 *       0), it evicts {@code ceil(N × target)} objects, target = max(ratio, used − watermark +
 *       ratio), N = the objects it could evict were their leases over (here: all of them — no pins,
 *       no reads in flight); only objects whose lease has expired, oldest lease timeout first. Below
 *       the lower bound max(target / 2, used − watermark) Mooncake runs a second pass over
 *       soft-pinned objects; HiCache pins nothing, so here such a pass is only counted.
 *   <li>{@link #remove} and {@link #clear} are forced, as the real backend's are: they ignore leases.
 * </ul>
 *
 * <p>Time is the virtual clock it is given, clamped so it never goes backwards (instances sharing
 * the pool run slightly out of step between arrivals). Ticks between calls run lazily when a call
 * arrives, before it; runs of ticks that cannot change anything are skipped in one step (and
 * still counted as passes).
 *
 * <p>Layout (as {@link MemoryL3Store}: millions of lookups per replay): an open-addressing table of
 * entry numbers keyed by each key's first digest word, and two lists over entry numbers ordered by
 * lease timeout. No sort is needed to find the oldest leases: with one TTL and a clock that never
 * goes back, leases set by puts ({@code now}) arrive in nondecreasing order, and so do leases set
 * by touches ({@code now + TTL}); a put appends to the first list, a touch moves the object to the
 * tail of the second, and the eviction pass merges the two heads. Ties are broken by the order the
 * leases were granted (a sequence number), the same rule the reference model in the tests sorts by.
 * Thread-safe (one lock).
 */
public final class MooncakeL3Model implements L3Store {
  /** The master's eviction thread period ({@code kEvictionThreadSleepMs}). */
  public static final long EVICTION_INTERVAL_NANOS = 10_000_000L;

  /**
   * The master's eviction and lease settings.
   *
   * @param leaseTtlNanos {@code --default_kv_lease_ttl}
   * @param highWatermark {@code --eviction_high_watermark_ratio}, in [0, 1]
   * @param evictionRatio {@code --eviction_ratio}, in [0, 1]
   */
  public record Params(long leaseTtlNanos, double highWatermark, double evictionRatio) {
    /** Mooncake's code defaults: 10 s, 0.90, 0.05 (the master's flag defaults). */
    public static final Params DEFAULTS = new Params(10_000_000_000L, 0.90, 0.05);

    public Params {
      if (leaseTtlNanos < 0) {
        throw new IllegalArgumentException("Invalid value for option '--mooncake-lease-ttl-ms': '"
            + leaseTtlNanos / 1_000_000 + "' (must be >= 0)");
      }
      if (!(highWatermark >= 0 && highWatermark <= 1)) {
        throw new IllegalArgumentException("Invalid value for option '--mooncake-eviction-high-watermark': '"
            + highWatermark + "' (must lie in [0, 1]; Mooncake's master refuses to start otherwise)");
      }
      if (!(evictionRatio >= 0 && evictionRatio <= 1)) {
        throw new IllegalArgumentException("Invalid value for option '--mooncake-eviction-ratio': '"
            + evictionRatio + "' (must lie in [0, 1]; Mooncake's master refuses to start otherwise)");
      }
    }

    /** From the simulator's flags; errors name the flag and the value. */
    public static Params ofFlags(long leaseTtlMs, double highWatermark, double evictionRatio) {
      // At most a year: a lease's end (virtual now + TTL, in nanoseconds) must never overflow.
      long max = 366L * 24 * 3600 * 1000;
      if (leaseTtlMs < 0 || leaseTtlMs > max) {
        throw new IllegalArgumentException("Invalid value for option '--mooncake-lease-ttl-ms': '" + leaseTtlMs
            + "' (must be >= 0 and at most " + max + ", 366 days)");
      }
      return new Params(leaseTtlMs * 1_000_000, highWatermark, evictionRatio);
    }

    public long leaseTtlMs() {
      return leaseTtlNanos / 1_000_000;
    }

    /** For reports: the settings by their Mooncake names. */
    public String describe() {
      return String.format(java.util.Locale.ROOT, "lease TTL %,d ms, eviction high watermark %s, eviction ratio %s",
          leaseTtlMs(), highWatermark, evictionRatio);
    }
  }

  /**
   * What the pool did.
   *
   * @param objects pages held now
   * @param puts pages written (new objects)
   * @param putsFailedNoSpace pages whose put found the pool full (NO_AVAILABLE_HANDLE)
   * @param evictions pages the eviction thread dropped
   * @param evictionPasses times the eviction thread ran a pass (it was above the watermark or a put
   *     had failed), including passes that found nothing to evict
   * @param leaseBlockedEvictions over all passes, pages a pass aimed to evict but could not because
   *     their leases were live
   * @param passesBelowLowerBound passes that evicted fewer than {@code ceil(N × lower bound)}: where
   *     Mooncake runs its second pass (soft-pinned objects, none here) and logs that it fell short
   */
  public record Stats(long objects, long capacityPages, long puts, long putsFailedNoSpace, long evictions,
      long evictionPasses, long leaseBlockedEvictions, long passesBelowLowerBound) {
    /** The counts since {@code start} (objects: now). */
    public Stats since(Stats start) {
      return new Stats(objects, capacityPages, puts - start.puts, putsFailedNoSpace - start.putsFailedNoSpace,
          evictions - start.evictions, evictionPasses - start.evictionPasses,
          leaseBlockedEvictions - start.leaseBlockedEvictions, passesBelowLowerBound - start.passesBelowLowerBound);
    }
  }

  private static final int NONE = -1;
  private static final byte PUT_LIST = 0, TOUCH_LIST = 1;

  private final long capacityPages;
  private final Params params;
  private final LongSupplier clock;

  private final PageKeyTable table = new PageKeyTable();
  // Entries, by the table's entry number.
  private byte[][][] values = new byte[256][][];
  private long[] lease = new long[256]; // lease_timeout, virtual ns
  private long[] grant = new long[256]; // order the lease was set in (ties of lease_timeout)
  private int[] prev = new int[256];
  private int[] next = new int[256];
  private byte[] list = new byte[256];
  private final int[] head = {NONE, NONE};
  private final int[] tail = {NONE, NONE};
  private long grants;

  private long now = Long.MIN_VALUE;
  private long nextTick = 0;
  private boolean needEviction;
  private long puts, putsFailed, evictions, passes, leaseBlocked, belowLowerBound;
  private boolean closed;

  /**
   * @param capacityPages the pool's capacity in pages (objects)
   * @param clock the global virtual time in nanoseconds (read once per call)
   */
  public MooncakeL3Model(long capacityPages, Params params, LongSupplier clock) {
    if (capacityPages < 1) throw new IllegalArgumentException("--l3-capacity-tokens must hold at least one page");
    if (params == null || clock == null) throw new IllegalArgumentException("params and clock are required");
    this.capacityPages = capacityPages;
    this.params = params;
    this.clock = clock;
  }

  @Override public String name() {
    return "mooncake";
  }

  @Override public Capabilities capabilities() {
    return new Capabilities(false, false, false);
  }

  public Params params() {
    return params;
  }

  public synchronized Stats stats() {
    return new Stats(table.size(), capacityPages, puts, putsFailed, evictions, passes, leaseBlocked, belowLowerBound);
  }

  /** Pages held now. */
  public synchronized long size() {
    return table.size();
  }

  @Override public synchronized int batchExists(List<PageKey> batch) {
    open();
    L3Store.checkBatch(batch, null);
    long t = advance();
    // batch_is_exist asks for every key and extends the lease of every one that exists; the
    // answer counted is the leading run.
    int n = 0;
    boolean run = true;
    for (PageKey k : batch) {
      int e = table.find(k);
      if (e >= 0) touch(e, t);
      run &= e >= 0;
      if (run) n++;
    }
    return n;
  }

  @Override public synchronized boolean[] batchGet(List<PageKey> batch, List<MemorySegment[]> targets) {
    open();
    L3Store.checkPageBatch(batch, targets);
    long t = advance();
    boolean[] ok = new boolean[batch.size()];
    for (int i = 0; i < ok.length; i++) {
      int e = table.find(batch.get(i));
      if (e < 0) continue;
      touch(e, t); // the replica lookup grants the lease, before the transfer
      byte[][] parts = values[e];
      MemorySegment[] into = targets.get(i);
      if (parts.length != into.length) continue;
      boolean sizes = true;
      for (int p = 0; p < parts.length; p++) sizes &= parts[p].length == into[p].byteSize();
      if (!sizes) continue;
      for (int p = 0; p < parts.length; p++) {
        MemorySegment.copy(parts[p], 0, into[p], ValueLayout.JAVA_BYTE, 0, parts[p].length);
      }
      ok[i] = true;
    }
    return ok;
  }

  @Override public synchronized boolean[] batchSet(List<PageKey> batch, List<MemorySegment[]> sources) {
    open();
    L3Store.checkPageBatch(batch, sources);
    long t = advance();
    boolean[] ok = new boolean[batch.size()];
    // HiCache's existence check first: it touches what is there; only the rest is put.
    for (int i = 0; i < ok.length; i++) {
      int e = table.find(batch.get(i));
      if (e >= 0) {
        touch(e, t);
        ok[i] = true;
      }
    }
    for (int i = 0; i < ok.length; i++) {
      if (ok[i]) continue;
      PageKey k = batch.get(i);
      if (table.find(k) >= 0) { // the same key earlier in this batch
        ok[i] = true;
        continue;
      }
      if (table.size() >= capacityPages) {
        putsFailed++;
        needEviction = true;
        continue;
      }
      MemorySegment[] s = sources.get(i);
      byte[][] parts = new byte[s.length][];
      for (int p = 0; p < s.length; p++) parts[p] = s[p].toArray(ValueLayout.JAVA_BYTE);
      insert(k, parts, t);
      puts++;
      ok[i] = true;
    }
    return ok;
  }

  @Override public synchronized boolean remove(PageKey key) {
    open();
    L3Store.checkKey(key);
    advance();
    int e = table.find(key);
    if (e < 0) return false;
    removeEntry(e);
    return true;
  }

  @Override public synchronized void clear() {
    open();
    advance();
    reset();
  }

  @Override public synchronized void close() {
    closed = true;
    reset();
  }

  // --- for tests ---

  /** Whether a put failed for lack of space since the last pass that evicted something. */
  synchronized boolean needEviction() {
    return needEviction;
  }

  /** Every object's lease timeout, oldest lease first (the eviction order). */
  synchronized Map<PageKey, Long> leases() {
    LinkedHashMap<PageKey, Long> out = new LinkedHashMap<>();
    int a = head[PUT_LIST], b = head[TOUCH_LIST];
    while (a != NONE || b != NONE) {
      int e = pick(a, b);
      out.put(table.key(e), lease[e]);
      if (e == a) a = next[a]; else b = next[b];
    }
    return out;
  }

  /** Every object's bytes. */
  synchronized Map<PageKey, byte[][]> contents() {
    LinkedHashMap<PageKey, byte[][]> out = new LinkedHashMap<>();
    for (int l = 0; l < 2; l++) for (int e = head[l]; e != NONE; e = next[e]) out.put(table.key(e), values[e]);
    return out;
  }

  /** The virtual time the model has reached (running the eviction passes due by then). */
  synchronized long now() {
    open();
    return advance();
  }

  /** {@code max(ratio, used − watermark + ratio)} (docs/behaviour.md#master-eviction). */
  static double evictionTarget(double used, double highWatermark, double ratio) {
    return Math.max(ratio, used - highWatermark + ratio);
  }

  /** {@code max(0.5 × target, used − watermark)} (docs/behaviour.md#master-eviction). */
  static double evictionLowerBound(double target, double used, double highWatermark) {
    return Math.max(0.5 * target, used - highWatermark);
  }

  // --- time and the eviction thread ---

  private void open() {
    if (closed) throw new IllegalStateException("the Mooncake L3 model is closed");
  }

  /** Moves time to the clock (never back) and runs the eviction passes due by then. */
  private long advance() {
    long t = Math.max(now, clock.getAsLong());
    now = t;
    while (nextTick <= t) {
      if (!triggered()) {
        nextTick = tickAfter(t);
        break;
      }
      long at = nextTick;
      long wanted = evictionPass(at);
      if (table.size() == 0 || wanted < 0) { // evicted something, or nothing left to evict
        nextTick = saturatedAdd(at, EVICTION_INTERVAL_NANOS);
        continue;
      }
      // Nothing was evictable: every lease runs past `at`, and nothing else changes before the
      // oldest lease ends or the next call comes. The passes in between would find the same.
      long resume = tickAtOrAfter(oldestLease());
      long until = Math.min(resume, tickAfter(t));
      if (until <= at) break; // the end of time
      long idle = (until - at) / EVICTION_INTERVAL_NANOS - 1;
      if (idle > 0) {
        passes += idle;
        leaseBlocked += idle * wanted;
        belowLowerBound += idle; // they evict nothing, and the lower bound is at least one object
      }
      nextTick = until;
    }
    return t;
  }

  private boolean triggered() {
    return (double) table.size() / capacityPages > params.highWatermark() || (needEviction && params.evictionRatio() > 0);
  }

  /**
   * One BatchEvict at {@code at}.
   *
   * @return -1 if it evicted something; otherwise the pages it aimed at and could not evict
   */
  private long evictionPass(long at) {
    passes++;
    int n = table.size();
    if (n == 0) {
      needEviction = false;
      return 0;
    }
    double used = (double) n / capacityPages;
    double target = evictionTarget(used, params.highWatermark(), params.evictionRatio());
    long wanted = Math.min(n, (long) Math.ceil(n * target));
    long evicted = 0;
    while (evicted < wanted) {
      int e = pick(head[PUT_LIST], head[TOUCH_LIST]);
      if (e == NONE || lease[e] > at) break; // the oldest lease has not expired: none has
      removeEntry(e);
      evicted++;
    }
    evictions += evicted;
    leaseBlocked += wanted - evicted;
    // Mooncake's second pass would now take soft-pinned objects up to the lower bound; there are none.
    double lowerBound = evictionLowerBound(target, used, params.highWatermark());
    if (evicted < Math.min(n, (long) Math.ceil(n * lowerBound))) belowLowerBound++;
    if (evicted > 0) {
      needEviction = false;
      return -1;
    }
    return wanted;
  }

  /** Of the two list heads, the one with the older lease (NONE if both are empty). */
  private int pick(int a, int b) {
    if (a == NONE) return b;
    if (b == NONE) return a;
    if (lease[a] != lease[b]) return lease[a] < lease[b] ? a : b;
    return grant[a] < grant[b] ? a : b;
  }

  private long oldestLease() {
    return lease[pick(head[PUT_LIST], head[TOUCH_LIST])];
  }

  private static long tickAfter(long t) {
    return saturatedAdd(Math.floorDiv(t, EVICTION_INTERVAL_NANOS) * EVICTION_INTERVAL_NANOS, EVICTION_INTERVAL_NANOS);
  }

  private static long tickAtOrAfter(long t) {
    long down = Math.floorDiv(t, EVICTION_INTERVAL_NANOS) * EVICTION_INTERVAL_NANOS;
    return down == t ? t : saturatedAdd(down, EVICTION_INTERVAL_NANOS);
  }

  private static long saturatedAdd(long a, long b) {
    long s = a + b;
    return ((a ^ s) & (b ^ s)) < 0 ? Long.MAX_VALUE : s;
  }

  /** An exist or get: lease_timeout = max(old, now + TTL); the object moves to the touched list's tail. */
  private void touch(int e, long t) {
    long l = Math.max(lease[e], saturatedAdd(t, params.leaseTtlNanos()));
    unlink(e);
    lease[e] = l;
    grant[e] = grants++;
    linkLast(e, TOUCH_LIST);
  }

  // --- entries ---

  /** A completed put: lease_timeout = max(0, now) = now. */
  private void insert(PageKey k, byte[][] parts, long t) {
    int e = table.add(k);
    if (values.length < table.entryCapacity()) {
      int n = table.entryCapacity();
      values = Arrays.copyOf(values, n);
      lease = Arrays.copyOf(lease, n);
      grant = Arrays.copyOf(grant, n);
      prev = Arrays.copyOf(prev, n);
      next = Arrays.copyOf(next, n);
      list = Arrays.copyOf(list, n);
    }
    values[e] = parts;
    lease[e] = t;
    grant[e] = grants++;
    linkLast(e, PUT_LIST);
  }

  private void removeEntry(int e) {
    table.remove(e);
    unlink(e);
    values[e] = null;
  }

  private void reset() {
    table.clear();
    values = new byte[256][][];
    lease = new long[256];
    grant = new long[256];
    prev = new int[256];
    next = new int[256];
    list = new byte[256];
    head[0] = head[1] = tail[0] = tail[1] = NONE;
    needEviction = false;
  }

  // --- the two lease-ordered lists ---

  private void linkLast(int e, byte l) {
    list[e] = l;
    prev[e] = tail[l];
    next[e] = NONE;
    if (tail[l] == NONE) head[l] = e; else next[tail[l]] = e;
    tail[l] = e;
  }

  private void unlink(int e) {
    int l = list[e];
    int p = prev[e], n = next[e];
    if (p == NONE) head[l] = n; else next[p] = n;
    if (n == NONE) tail[l] = p; else prev[n] = p;
  }
}
