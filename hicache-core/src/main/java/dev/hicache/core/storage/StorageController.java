package dev.hicache.core.storage;

import dev.hicache.api.metrics.TerminalReason;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.metrics.MetricLabels;
import dev.hicache.core.metrics.MetricHandle;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.api.spi.PrefetchPolicy;
import dev.hicache.api.spi.RankGroup;
import dev.hicache.core.events.EngineEvents;
import dev.hicache.core.events.KvEventPublisher;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.HostInsertResult;
import dev.hicache.core.tree.MatchResult;
import dev.hicache.core.tree.TreeNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The storage (L3) half of SGLang's HiCacheController and HiRadixCache: prefetch from L3
 * (docs/behaviour.md#prefetch, as an explicit state machine), backup from L2 to L3
 * (docs/behaviour.md#backup-to-l3), and the TP consensus that keeps every rank's tree identical
 * (docs/behaviour.md#tp-consensus), reshaped so that no rank can skip a round: one {@link #tick()}
 * per scheduler iteration, on every rank, runs exactly one vector all-reduce of fixed length,
 * whatever the rank's local state — so no rank can ever wait alone in a collective.
 *
 * <p>Single-threaded (the scheduler thread); never blocks; reads time only from its {@link Clock};
 * L3 work goes to an {@link L3Port} and comes back as completions in {@link #tick()}.
 *
 * <p>Life of a prefetch on every rank:
 *
 * <ol>
 *   <li>{@link #prefetch} when the request is queued: local match, gates (threshold, in-flight
 *       budget), protect the anchor (the root is always a valid anchor), raise {@code
 *       prefetch_tokens_occupied} once, issue the existence query. [compatible profile: host pages
 *       for the whole request are allocated here.]
 *   <li>Each tick: every rank's query result goes into the all-reduce; once all have answered, the
 *       TP-MIN hit is agreed. Below the threshold: REVOKED. Otherwise host pages are allocated for
 *       the hit (our profile) and reads run in batches of at most 128 pages.
 *   <li>The scheduler's {@link #checkProgress} says whether the request may be admitted; asking
 *       registers a vote, and the next tick decides: terminate iff every rank's policy lets go (and
 *       the request was reached), or any rank hit an IO failure. On termination {@code m} = TP-MIN
 *       of completed tokens is inserted as host-only nodes; duplicates and the rest are freed —
 *       each page only after its last IO — and {@code prefetch_tokens_occupied} is lowered once.
 * </ol>
 *
 * <p>Host pages given back are freed in agreed counts (SGLang's {@code host_mem_release_queue} MIN,
 * one entry per page), so every rank's host pool has the same free count and allocations succeed
 * or fail alike on all ranks.
 */
public final class StorageController implements L3Port.Listener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(StorageController.class.getName());

  /** Longs per prefetch slot in the consensus vector. */
  static final int SLOT_WIDTH = 7;
  /** Longs before the slots. */
  static final int HEADER = 4;

  private final HiRadixTree tree;
  private final HostPages host;
  private final L3Port port;
  private final PrefetchPolicy policy;
  private final RankGroup group;
  private final Clock clock;
  private final MetricsSink metrics;
  // The metrics reported per tick, per prefetch or per L3 write, through handles: no look-up and no
  // atomic add per report (docs/observability.md#metrics).
  private final MetricHandle consensusTicks, prefetchesStarted, prefetchedTokens, tokensOccupied;
  private final MetricHandle l3PagesWritten, l3BytesWritten, backupedToStorage;
  /** {@code hicache_prefetch_terminated{reason}}, by {@link TerminalReason#ordinal()}. */
  private final MetricHandle[] prefetchTerminated;
  /** {@code hicache_prefetch_duration_seconds{reason}}, by {@link TerminalReason#ordinal()}. */
  private final MetricHandle[] prefetchDuration;
  private final MetricHandle prefetchPages, backupPages;
  private EngineEvents events = EngineEvents.NONE;
  private KvEventPublisher kvEvents;
  private final PageHasher hasher;
  /** The caller never modifies a prompt it handed over: a prefetch keeps it instead of a copy. */
  private final boolean promptsUnmodified;
  private final PageKey namespaceSeed;
  private final int ps;
  private final int threshold;
  private final long capacityLimitTokens;
  private final int slots;
  private final boolean compatible;
  private final boolean mla;
  private final boolean writeBackFeedsL3;
  private final long pageBytes;
  private final int alarmAfterRequests;
  private final List<String> warnings = new ArrayList<>();

  private final TreeMap<Long, PrefetchOperation> ops = new TreeMap<>();
  private final List<dev.hicache.core.tp.ConsensusParticipant> participants = new ArrayList<>();
  private int participantWidth;
  private final Map<Long, Object> commands = new HashMap<>();
  private final ArrayDeque<Integer> hostRelease = new ArrayDeque<>();
  private final ArrayDeque<BackupOp> backups = new ArrayDeque<>();
  private final Map<Long, Integer> storageHits = new HashMap<>();
  private long nextCommand = 1;
  private long occupiedTokens;
  /** The values last given to the sink's gauges; -1 before the first, so that the first is always set. */
  private long reportedOccupied = -1;
  private int reportedAlarm = -1;
  /** Host pages owned by the prefetch path (live ops, zombies, release queue). */
  private int ownedPages;
  private long prefetchCalls;
  private long prefetchStarted;
  private long writtenPages;
  private boolean alarmRaised;
  private boolean closed;
  /** Set while closing: completions are still taken, but no new command is issued. */
  private boolean closing;

  /** A node's L2→L3 backup (SGLang's StorageOperation on the backup queue). */
  private static final class BackupOp {
    final TreeNode node;
    final PageKey[] keys;
    final int[] hostPages;
    int issued;
    int storedPages;
    boolean done;
    boolean protectedHost;

    BackupOp(TreeNode node, PageKey[] keys, int[] hostPages) {
      this.node = node; this.keys = keys; this.hostPages = hostPages;
    }
  }

  private record ReadCmd(PrefetchOperation op, int first, int pages) {}

  private record QueryCmd(PrefetchOperation op) {}

  private record WriteCmd(BackupOp op, int first, int pages) {}

  private StorageController(Builder b) {
    this.tree = b.tree;
    this.host = b.host;
    this.port = b.port;
    HiCacheConfig c = b.config;
    this.policy = b.policy != null ? b.policy : PrefetchPolicies.create(c);
    this.group = b.group;
    this.clock = b.clock;
    this.metrics = b.metrics;
    consensusTicks = MetricHandle.of(metrics, StorageMetrics.CONSENSUS_TICKS, null);
    prefetchesStarted = MetricHandle.of(metrics, StorageMetrics.PREFETCH_STARTED, null);
    prefetchedTokens = MetricHandle.of(metrics, StorageMetrics.PREFETCHED_TOKENS, null);
    tokensOccupied = MetricHandle.of(metrics, StorageMetrics.PREFETCH_TOKENS_OCCUPIED, null);
    l3PagesWritten = MetricHandle.of(metrics, StorageMetrics.L3_PAGES, MetricLabels.WRITE);
    l3BytesWritten = MetricHandle.of(metrics, StorageMetrics.L3_BYTES, MetricLabels.WRITE);
    backupedToStorage = MetricHandle.of(metrics, StorageMetrics.BACKUPED_TOKENS, StorageMetrics.STORAGE_LABEL);
    TerminalReason[] reasons = TerminalReason.values();
    prefetchTerminated = new MetricHandle[reasons.length];
    prefetchDuration = new MetricHandle[reasons.length];
    for (TerminalReason r : reasons) {
      prefetchTerminated[r.ordinal()] = MetricHandle.of(metrics, StorageMetrics.PREFETCH_TERMINATED, r.label());
      prefetchDuration[r.ordinal()] = MetricHandle.of(metrics, HiCacheMetric.PREFETCH_DURATION.key(), r.label());
    }
    prefetchPages = MetricHandle.of(metrics, StorageMetrics.PREFETCH_PGS, null);
    backupPages = MetricHandle.of(metrics, StorageMetrics.BACKUP_PGS, null);
    this.ps = tree.pageSize();
    if (c.pageSize() != ps) throw new IllegalArgumentException("HiCacheConfig pageSize " + c.pageSize() + " != the tree's page size " + ps);
    this.hasher = new PageHasher(ps);
    this.namespaceSeed = b.namespaceSeed;
    if (!java.util.Objects.equals(namespaceSeed, tree.root().namespaceSeed())) {
      throw new IllegalArgumentException("StorageController.Builder namespaceSeed " + namespaceSeed
          + " differs from the tree's default namespace seed " + tree.root().namespaceSeed());
    }
    this.threshold = c.effectivePrefetchThreshold();
    this.compatible = c.sglangCompatible();
    this.mla = b.mla;
    this.writeBackFeedsL3 = !compatible;
    this.slots = b.slots;
    this.pageBytes = b.pageBytes;
    this.alarmAfterRequests = b.alarmAfterRequests;
    this.promptsUnmodified = b.promptsUnmodified;
    long hostTokens = (long) host.capacityPages() * ps;
    long computed = (long) (0.8 * (hostTokens - (long) b.deviceTokens));
    long limit;
    if (b.capacityLimitTokens > 0) {
      limit = b.capacityLimitTokens;
    } else if (computed <= 0) {
      String w = "prefetch capacity limit 0.8 × (host " + hostTokens + " − device " + b.deviceTokens + " tokens) = "
          + computed + " tokens would switch every L3 read off (docs/behaviour.md#prefetch-accounting)";
      if (compatible) {
        limit = computed;
        w += "; the SGLang-compatible profile keeps it: NO PREFETCH WILL RUN";
      } else {
        limit = Math.min(hostTokens, 4L * threshold);
        w += "; using the floor of " + limit + " tokens (raise --hicache-ratio or set the limit)";
      }
      warnings.add(w);
      LOG.log(System.Logger.Level.WARNING, w);
    } else {
      limit = compatible ? computed : Math.max(computed, Math.min(hostTokens, (long) threshold));
    }
    this.capacityLimitTokens = limit;
  }

  public static Builder builder(HiRadixTree tree, HostPages host, L3Port port) {
    return new Builder(tree, host, port);
  }

  // ---------------------------------------------------------------- scheduler hooks

  /**
   * SGLang's {@code _prefetch_kvcache} + {@code prefetch_from_storage}: called when request {@code
   * rid} joins the waiting queue, on every rank in the same order. Considers {@code tokens[0,
   * length)}. Returns the op, or null when no prefetch starts (counted by gate).
   */
  public PrefetchOperation prefetch(long rid, int[] tokens, int length) {
    return prefetch(rid, tokens, length, null);
  }

  /**
   * {@link #prefetch(long, int[], int)} with the page keys of {@code tokens} computed beforehand:
   * {@code pageKeys[p]} is page {@code p}'s key chained from the start of the sequence (from the
   * namespace seed), as {@link PageHasher#chain} gives it. The L3 query reads them instead of hashing;
   * pages beyond {@code pageKeys.length} are hashed as before. May be null.
   */
  public PrefetchOperation prefetch(long rid, int[] tokens, int length, PageKey[] pageKeys) {
    return prefetch(rid, tokens, length, pageKeys, null);
  }

  /**
   * {@link #prefetch(long, int[], int, PageKey[])} for a request of the namespace seeded {@code
   * namespace} (null: the default one; docs/behaviour.md#namespaces): the local match is in that
   * namespace's subtree, the L3 keys are chained from its seed, and what arrives joins its subtree.
   * {@code pageKeys}, when given, must be chained from that seed too.
   */
  public PrefetchOperation prefetch(long rid, int[] tokens, int length, PageKey[] pageKeys, PageKey namespace) {
    checkOpen();
    if (tokens == null || length < 0 || length > tokens.length) {
      throw new IllegalArgumentException("prefetch of request " + rid + ": length " + length + " outside the tokens given");
    }
    if (pageKeys != null && pageKeys.length > tokens.length / ps) {
      throw new IllegalArgumentException("prefetch of request " + rid + ": " + pageKeys.length + " page keys for "
          + tokens.length / ps + " full pages");
    }
    if (ops.containsKey(rid)) throw new IllegalArgumentException("request " + rid + " already has a prefetch");
    prefetchCalls++;
    checkAlarm();
    MatchResult m = tree.matchPrefix(namespace, tokens, length);
    int matched = (m.devicePrefixPages() + m.hostHitPages()) * ps;
    TreeNode anchor = m.lastHostNode(); // the root is always a valid anchor: cold instances prefetch too
    int aligned = (length - matched) / ps * ps;
    if (aligned < threshold) return skip("below_threshold");
    if (occupiedTokens >= capacityLimitTokens || ops.size() >= slots) return skip("rate_limited");
    PageKey prior = anchor.isRoot() ? anchor.namespaceSeed() : anchor.lastHashValue();
    // Never restart a chain silently (docs/behaviour.md#where-chains-start).
    if (!anchor.isRoot() && prior == null) return skip("broken_chain");
    int[] hp = null;
    if (compatible) {
      hp = host.alloc(aligned / ps, anchor.namespaceSeed());
      if (hp == null) return skip("no_host_memory");
      ownedPages += hp.length;
    }
    tree.protectHost(anchor);
    int[] own = promptsUnmodified ? tokens : tokens.clone();
    // Hashed as the query reads them: pages past its first chunk with a miss never need a key.
    List<PageKey> keys = new LazyPageKeys(hasher, prior, own, matched, matched + aligned, pageKeys);
    PrefetchOperation op = new PrefetchOperation(rid, anchor, own, matched, aligned, clock.nanos(), keys);
    op.hostPages = hp;
    ops.put(rid, op);
    occupiedTokens += aligned; // raised exactly once, here (docs/behaviour.md#prefetch-accounting)
    reportOccupied();
    prefetchStarted++;
    prefetchesStarted.add(1);
    long id = nextCommand++;
    commands.put(id, new QueryCmd(op));
    op.queryInFlight = true;
    op.queryCommand = id;
    port.query(id, keys);
    return op;
  }

  private PrefetchOperation skip(String gate) {
    lastSkipGate = gate;
    metrics.count(StorageMetrics.PREFETCH_SKIPPED, gate, 1);
    return null;
  }

  /** The gate of the last prefetch that did not start ({@code hicache_prefetch_skipped}'s label), or null. */
  private String lastSkipGate;

  /**
   * A prefetch hint (docs/engine-integration.md#cache-control): {@link #prefetch(long, int[], int)}
   * for no request. It passes the same gates and holds the same budget, but no admission waits for
   * it: it ends once every L3-hit page has arrived (or an IO failure ends it), whatever the prefetch
   * policy, and what arrived joins the tree as host-only nodes. {@code rid} must be one no request
   * uses; {@code namespace} is the seed of the namespace the hint named (null: the default one), as
   * for a request's prefetch. Returns the op, or null when a gate kept it from starting ({@link
   * #lastSkipGate()} says which).
   */
  public PrefetchOperation prefetchHint(long rid, int[] tokens, int length, PageKey namespace) {
    lastSkipGate = null;
    PrefetchOperation op = prefetch(rid, tokens, length, null, namespace);
    if (op != null) {
      op.hint = true;
      op.admissionAsked = true; // nothing else will ask: its termination is decided by its progress alone
    }
    return op;
  }

  /** Why the last {@link #prefetchHint} (or prefetch) did not start: its gate, or null. */
  public String lastSkipGate() { return lastSkipGate; }

  /**
   * SGLang's {@code check_prefetch_progress}: may request {@code rid} be admitted now? True when it
   * has no ongoing prefetch (none started, or it ended). Otherwise false, and the question is a
   * vote that the next {@link #tick()} counts: the request is admitted once the ranks agree the
   * prefetch may end. Rank-local: no collective here.
   */
  public boolean checkProgress(long rid) {
    PrefetchOperation op = ops.get(rid);
    if (op == null) return true;
    op.admissionAsked = true;
    return false;
  }

  /**
   * Tokens this request's prefetch put into the tree (SGLang's {@code prefetch_loaded_tokens_by_reqid}),
   * consumed by the caller at admission for {@code cached_tokens{storage}}; 0 if none.
   */
  public int takeStorageHitTokens(long rid) {
    Integer n = storageHits.remove(rid);
    return n == null ? 0 : n;
  }

  /** SGLang's {@code release_aborted_request}: the request left the waiting queue; end its prefetch now. */
  public void abort(long rid) {
    checkOpen();
    PrefetchOperation op = ops.get(rid);
    if (op == null) return;
    finish(op, 0, TerminalReason.ABORTED);
    storageHits.remove(rid);
  }

  /**
   * SGLang's {@code write_backup_storage}: the node's host copy is acknowledged; write its pages to
   * L3 in batches of at most 128, protecting the host copy until the ack. MLA ranks other than 0
   * acknowledge at once without writing (every rank holds the same latent KV).
   */
  public void backup(TreeNode node) {
    checkOpen();
    if (node.isRoot() || node.removed() || !node.backuped()) {
      throw new IllegalArgumentException("backup of node " + node.id() + ": it has no host copy");
    }
    if (!chainHashed(node)) {
      metrics.count(StorageMetrics.BACKUP_REFUSED_CHAIN, (long) node.pages());
      return;
    }
    BackupOp b = new BackupOp(node, node.hashValue().clone(), node.hostValue().clone());
    backups.add(b);
    if (mla && group.rank() != 0) {
      b.done = true;
      return;
    }
    tree.protectHost(node);
    b.protectedHost = true;
    issueWrite(b);
  }

  /** Whether this write policy's D→H completions should feed L3 (write_back too, except in the compatible profile). */
  public boolean feedsL3(boolean writeBack) {
    return !writeBack || writeBackFeedsL3;
  }

  private boolean chainHashed(TreeNode node) {
    for (TreeNode n = node; n != null && !n.isRoot(); n = n.parent()) {
      PageKey[] h = n.hashValue();
      if (h == null || h.length != n.pages()) return false;
      for (PageKey k : h) if (k == null) return false;
    }
    return true;
  }

  private void issueWrite(BackupOp b) {
    if (closing) {
      b.done = true;
      return;
    }
    int first = b.issued;
    int n = Math.min(dev.hicache.api.spi.L3Store.MAX_BATCH_PAGES, b.keys.length - first);
    if (n <= 0) {
      b.done = true;
      return;
    }
    long id = nextCommand++;
    commands.put(id, new WriteCmd(b, first, n));
    b.issued += n;
    port.write(id, new KeySpan(b.keys, first, first + n), Arrays.copyOfRange(b.hostPages, first, first + n));
  }

  // ---------------------------------------------------------------- completions (scheduler thread, from the port)

  @Override public void queried(long id, int hitPages, Throwable failure) {
    QueryCmd c = (QueryCmd) take(id);
    PrefetchOperation op = c.op;
    op.queryInFlight = false;
    if (op.state.isFinal()) {
      releaseZombie(op);
      return;
    }
    if (failure != null) {
      metrics.count(StorageMetrics.L3_FAILURES, "query", 1);
      hitPages = 0;
    }
    op.localHitTokens = Math.min(hitPages, op.keys.size()) * ps;
  }

  @Override public void read(long id, L3Port.ReadResult r) {
    ReadCmd c = (ReadCmd) take(id);
    PrefetchOperation op = c.op;
    op.inFlightBatches--;
    if (r.failure() != null) metrics.count(StorageMetrics.L3_FAILURES, "read", 1);
    metrics.count(StorageMetrics.L3_PAGES, MetricLabels.READ, r.pages());
    metrics.count(StorageMetrics.L3_BYTES, MetricLabels.READ, r.pages() * pageBytes);
    prefetchPages.observe(r.pages());
    if (op.state.isFinal()) {
      // Ended while this batch was in flight: its pages may go back now that the IO is done.
      releaseZombie(op);
      return;
    }
    if (c.first * ps != op.completedTokens) throw new IllegalStateException("read batches out of order for " + op);
    op.completedTokens += r.pages() * ps;
    if (!r.full()) {
      op.moveTo(PrefetchState.TERMINATED_BY_IO);
      op.localTerminated = true;
      op.localReason = r.checksumMismatch() ? TerminalReason.CHECKSUM_MISMATCH : TerminalReason.IO_FAILURE;
      return;
    }
    if (op.completedTokens == op.hitTokens) {
      op.moveTo(PrefetchState.COMPLETE);
      return;
    }
    issueRead(op);
  }

  @Override public void written(long id, int storedPages, Throwable failure) {
    WriteCmd c = (WriteCmd) take(id);
    BackupOp b = c.op;
    if (failure != null) metrics.count(StorageMetrics.L3_FAILURES, "write", 1);
    b.storedPages += storedPages;
    writtenPages += storedPages;
    l3PagesWritten.add(storedPages);
    l3BytesWritten.add(storedPages * pageBytes);
    backupPages.observe(storedPages);
    if (storedPages < c.pages || failure != null) {
      // SGLang stops at the first failed batch and never retries: a later miss is recomputed.
      metrics.count(StorageMetrics.BACKUP_SKIPPED_PAGES, (long) b.keys.length - b.storedPages);
      b.done = true;
      return;
    }
    issueWrite(b);
  }

  private Object take(long id) {
    Object c = commands.remove(id);
    if (c == null) throw new IllegalStateException("completion of unknown L3 command " + id);
    return c;
  }

  private void issueRead(PrefetchOperation op) {
    if (closing) return;
    int hitPages = op.hitTokens / ps;
    int first = op.issuedPages;
    int n = Math.min(dev.hicache.api.spi.L3Store.MAX_BATCH_PAGES, hitPages - first);
    if (n <= 0) return;
    long id = nextCommand++;
    commands.put(id, new ReadCmd(op, first, n));
    op.issuedPages += n;
    op.inFlightBatches++;
    op.readCommand = id;
    op.readPages = n;
    List<PageKey> keys = op.keys instanceof LazyPageKeys lazy ? lazy.hashedSpan(first, first + n) : op.keys.subList(first, first + n);
    port.read(id, keys, Arrays.copyOfRange(op.hostPages, first, first + n));
  }

  // ------------------------------------------- the consensus tick (docs/behaviour.md#tp-consensus)

  /**
   * Once per scheduler iteration, on every rank: applies the L3 completions that arrived, then runs
   * the one consensus round of this tick. Never skipped, whatever the local state.
   */
  public void tick() {
    long[] v = gather();
    group.allReduceMin(v);
    apply(v);
  }

  /**
   * Delivers the L3 completions that have arrived, and nothing else: rank-local, no collective. A
   * shell may call it whenever an L3 event is due; decisions still wait for the next {@link #tick()}.
   * With more than one rank, {@link #tick()} must be called only from the scheduler loop, once per
   * iteration on every rank — never per local event, or the ranks' rounds fall out of step.
   */
  public int pollL3() {
    checkOpen();
    return port.poll(this);
  }

  /**
   * The first half of {@link #tick()}: applies arrived completions and packs this rank's votes into
   * a fixed-length vector (MIN entries as they are, MAX entries negated). For step-synchronous
   * drivers that reduce several ranks' vectors in one thread.
   */
  public long[] gather() {
    checkOpen();
    port.poll(this);
    // A real group needs the fixed length (every rank the same shape, whatever its state); a single
    // rank reduces with itself, so its vector holds just the live ops.
    int width = group.size() == 1 ? ops.size() : slots;
    long[] v = new long[participantWidth + HEADER + SLOT_WIDTH * width];
    int off = 0;
    for (var p : participants) {
      p.gather(v, off);
      off += p.width();
    }
    gatherOwn(v, off, width);
    return v;
  }

  /** Writes this rank's entries into {@code all} from {@code base} on (a fresh, zeroed vector: every tick makes one). */
  private void gatherOwn(long[] all, int base, int width) {
    long[] v = all;
    v[base] = ops.size();
    v[base + 1] = -ops.size();
    v[base + 2] = hostRelease.size();
    int doneBackups = 0;
    for (BackupOp b : backups) {
      if (!b.done) break;
      doneBackups++;
    }
    v[base + 3] = doneBackups;
    long now = clock.nanos();
    int i = 0;
    for (PrefetchOperation op : ops.values()) {
      int at = base + HEADER + SLOT_WIDTH * i++;
      boolean can = op.hint ? op.complete() : policy.canTerminate(op, now);
      v[at] = op.rid;
      v[at + 1] = -op.rid;
      v[at + 2] = op.localHitTokens;
      v[at + 3] = op.completedTokens;
      v[at + 4] = op.admissionAsked ? -1 : 0;
      v[at + 5] = can ? 0 : -1;
      v[at + 6] = op.localTerminated ? -1 : 0;
    }
    for (; i < width; i++) {
      int at = base + HEADER + SLOT_WIDTH * i;
      v[at] = -1;
      v[at + 1] = 1;
    }
  }

  /**
   * Adds another consensus participant to every tick's one all-reduce (its entries come first, in
   * the order added). Add them before the first tick, in the same order on every rank.
   */
  public void addParticipant(dev.hicache.core.tp.ConsensusParticipant p) {
    if (p == null || p.width() < 0) throw new IllegalArgumentException("a consensus participant with a width >= 0 is required");
    participants.add(p);
    participantWidth += p.width();
  }

  /** The second half of {@link #tick()}: applies the reduced vector, identically on every rank. */
  public void apply(long[] all) {
    checkOpen();
    int expected = participantWidth + HEADER + SLOT_WIDTH * (group.size() == 1 ? ops.size() : slots);
    if (all.length != expected) {
      throw new IllegalArgumentException("consensus vector of " + all.length + " longs, expected " + expected);
    }
    int off = 0;
    for (var p : participants) {
      p.apply(all, off);
      off += p.width();
    }
    // Only read below: without participants the vector is this controller's own entries as they are.
    long[] r = participantWidth == 0 ? all : java.util.Arrays.copyOfRange(all, participantWidth, all.length);
    consensusTicks.add(1);
    if (r[0] != -r[1] || r[0] != ops.size()) {
      throw new IllegalStateException("TP ranks disagree on the live prefetches: min " + r[0] + ", max " + (-r[1])
          + ", this rank (" + group.rank() + ") " + ops.size() + " — a scheduler hook ran on some ranks only");
    }
    // Host pages given back: free the agreed count (one entry per page), so every pool stays in step.
    int release = (int) Math.min(r[2], hostRelease.size());
    if (release > 0) {
      int[] pages = new int[release];
      for (int k = 0; k < release; k++) pages[k] = hostRelease.poll();
      host.free(pages);
      ownedPages -= release;
    }
    // Backup acks: release the agreed number of leading finished backups.
    for (long k = 0; k < r[3]; k++) {
      BackupOp b = backups.poll();
      if (b == null || !b.done) throw new IllegalStateException("backup acks out of step across ranks");
      if (b.protectedHost && !b.node.removed()) tree.releaseHost(b.node);
      backupedToStorage.add((long) b.storedPages * ps);
      if (kvEvents != null && b.storedPages > 0) {
        // b.keys is the backup's own copy and is not written after the ack.
        kvEvents.stored(Tier.STORAGE, b.node.namespaceSeed(), null, b.keys, b.storedPages);
      }
    }
    List<PrefetchOperation> live = new ArrayList<>(ops.values());
    for (int i = 0; i < live.size(); i++) {
      PrefetchOperation op = live.get(i);
      int at = HEADER + SLOT_WIDTH * i;
      if (r[at] != op.rid || -r[at + 1] != op.rid) {
        throw new IllegalStateException("TP ranks disagree on prefetch slot " + i + ": rids " + r[at] + ".." + (-r[at + 1])
            + ", this rank (" + group.rank() + ") has " + op.rid);
      }
      long hit = r[at + 2];
      long completed = r[at + 3];
      boolean asked = r[at + 4] < 0;
      boolean blocked = r[at + 5] < 0;
      boolean terminatedSomewhere = r[at + 6] < 0;
      boolean terminate = (asked && !blocked) || terminatedSomewhere;
      if (op.hitTokens < 0 && hit >= 0) {
        // Every rank's query has answered: the hit is agreed.
        if (hit < threshold) {
          metrics.count(StorageMetrics.L3_HIT_TOKENS, hit);
          op.hitTokens = (int) hit;
          revoke(op);
          continue;
        }
        if (terminate) {
          // Ending in this very tick: nothing has arrived, so allocate and read nothing.
          metrics.count(StorageMetrics.L3_HIT_TOKENS, hit);
          op.hitTokens = (int) hit;
          op.keys = List.copyOf(op.keys.subList(0, (int) hit / ps));
        } else {
          agreeHit(op, (int) hit);
          if (op.localTerminated) continue; // no host memory on this rank: the next tick ends it everywhere
        }
      }
      if (terminate) {
        int m = (int) Math.min(completed, op.completedTokens);
        TerminalReason why;
        if (op.localTerminated) why = op.localReason;
        else if (terminatedSomewhere) why = TerminalReason.IO_FAILURE;
        else if (op.hitTokens > 0 && m == op.hitTokens) why = TerminalReason.COMPLETE;
        else if (policy.expires()) why = TerminalReason.TIMEOUT;
        else why = TerminalReason.UNFULFILLED;
        finish(op, m, why);
      }
    }
    reportOccupied();
  }

  /**
   * Sets the {@code prefetch_tokens_occupied} gauge when its value changed since it was last set:
   * a tick that changes nothing (most of them: ~12,000 sets a replay of the observability benchmark
   * for ~4,700 changes) costs the sink nothing (docs/benchmarks.md, observability overhead).
   */
  private void reportOccupied() {
    if (occupiedTokens == reportedOccupied) return;
    reportedOccupied = occupiedTokens;
    tokensOccupied.set(occupiedTokens);
  }

  private void agreeHit(PrefetchOperation op, int hit) {
    op.hitTokens = hit;
    metrics.count(StorageMetrics.L3_HIT_TOKENS, hit);
    int pages = hit / ps;
    op.keys = List.copyOf(op.keys.subList(0, pages));
    if (compatible) {
      // Release the slots beyond the hit (no IO ever touched them).
      for (int k = pages; k < op.hostPages.length; k++) hostRelease.add(op.hostPages[k]);
      op.hostPages = Arrays.copyOf(op.hostPages, pages);
    } else {
      int[] hp = host.alloc(pages, op.anchor.namespaceSeed()); // hit-sized, after the existence query (docs/behaviour.md#existence-query)
      if (hp == null) {
        op.localTerminated = true;
        op.localReason = TerminalReason.REVOKED;
        op.hostPages = new int[0];
        op.moveTo(PrefetchState.TRANSFERRING);
        op.moveTo(PrefetchState.TERMINATED_BY_IO);
        return;
      }
      ownedPages += hp.length;
      op.hostPages = hp;
    }
    op.moveTo(PrefetchState.TRANSFERRING);
    issueRead(op);
  }

  /** QUEUED → REVOKED: the agreed hit is below the threshold. */
  private void revoke(PrefetchOperation op) {
    cancelPending(op);
    op.moveTo(PrefetchState.REVOKED);
    op.reason = TerminalReason.BELOW_THRESHOLD;
    if (op.hostPages != null) {
      for (int p : op.hostPages) hostRelease.add(p);
      op.hostPages = null;
    }
    end(op);
  }

  /**
   * → TERMINATED: insert the agreed {@code m} tokens as host-only nodes, free duplicates and the
   * rest (pages still being read wait for their batch), release the anchor.
   */
  private void finish(PrefetchOperation op, int m, TerminalReason why) {
    cancelPending(op);
    op.moveTo(PrefetchState.TERMINATED);
    op.reason = why;
    int mPages = m / ps;
    int[] hp = op.hostPages == null ? new int[0] : op.hostPages;
    int matchedPages = 0;
    if (mPages > 0 && !op.anchor.removed()) {
      int[] fetched = Arrays.copyOf(hp, mPages);
      PageKey[] keys = op.keys.subList(0, mPages).toArray(new PageKey[0]);
      HostInsertResult res = tree.insertHostOnly(op.anchor, op.tokens, op.from, m, fetched, keys);
      matchedPages = res.matchedPages();
      // Duplicates: the tree already held that prefix (another request inserted it meanwhile).
      // Their IO is done; they go back with the next agreed release.
      for (int k = 0; k < matchedPages; k++) hostRelease.add(fetched[k]);
      if (matchedPages < mPages) {
        host.filled(Arrays.copyOfRange(fetched, matchedPages, mPages),
            Arrays.copyOfRange(keys, matchedPages, mPages));
        ownedPages -= mPages - matchedPages;
      }
    } else {
      mPages = 0;
    }
    // Pages that arrived beyond m, and pages never issued, go back now; pages in flight wait.
    int completedPages = op.completedTokens / ps;
    for (int k = mPages; k < Math.min(completedPages, hp.length); k++) hostRelease.add(hp[k]);
    for (int k = Math.max(op.issuedPages, mPages); k < hp.length; k++) hostRelease.add(hp[k]);
    // [completed, issued): the batch in flight (its pages wait for its IO), or the rest of a short
    // batch that already returned (free now).
    int[] tail = Arrays.copyOfRange(hp, Math.min(hp.length, Math.max(completedPages, mPages)), Math.min(hp.length, op.issuedPages));
    if (op.inFlightBatches > 0) op.zombiePages = tail;
    else for (int p : tail) hostRelease.add(p);
    op.hostPages = null;
    op.insertedTokens = (mPages - matchedPages) * ps;
    prefetchedTokens.add(op.insertedTokens);
    storageHits.put(op.rid, op.insertedTokens);
    if (why == TerminalReason.COMPLETE) metrics.count(StorageMetrics.PREFETCH_COMPLETED, 1);
    end(op);
  }

  /** Commands of an ending op that have not started are dropped: they never touch L3 or the op's pages. */
  private void cancelPending(PrefetchOperation op) {
    if (op.queryInFlight && port.cancel(op.queryCommand)) {
      commands.remove(op.queryCommand);
      op.queryInFlight = false;
    }
    if (op.inFlightBatches > 0 && port.cancel(op.readCommand)) {
      commands.remove(op.readCommand);
      op.inFlightBatches--;
      op.issuedPages -= op.readPages;
    }
  }

  /** Leaves the live set: anchor released, occupied tokens lowered — exactly once (docs/behaviour.md#prefetch-accounting). */
  private void end(PrefetchOperation op) {
    if (ops.remove(op.rid) != op) throw new IllegalStateException("prefetch " + op + " ended twice");
    tree.releaseHost(op.anchor);
    occupiedTokens -= op.requestedTokens;
    if (occupiedTokens < 0) throw new IllegalStateException("prefetch_tokens_occupied went negative at " + op);
    prefetchTerminated[op.reason.ordinal()].add(1);
    long took = clock.nanos() - op.startNanos;
    prefetchDuration[op.reason.ordinal()].observe(took / 1e9);
    events.prefetch(op.rid, op.reason.label(), op.requestedTokens, Math.max(0, op.hitTokens), op.insertedTokens, took);
    if (op.inFlightBatches > 0 || op.queryInFlight) zombies.put(op.rid, op);
  }

  private final Map<Long, PrefetchOperation> zombies = new HashMap<>();

  /** Per-operation tracing (docs/observability.md#jfr-events). */
  public void engineEvents(EngineEvents e) { events = e == null ? EngineEvents.NONE : e; }

  /** Reports the pages this cache stored in L3 (docs/observability.md#kv-events); null = none. */
  public void kvEvents(KvEventPublisher p) { kvEvents = p; }

  private void releaseZombie(PrefetchOperation op) {
    if (op.inFlightBatches > 0 || op.queryInFlight) return;
    if (op.zombiePages != null) {
      for (int p : op.zombiePages) hostRelease.add(p);
      op.zombiePages = null;
    }
    zombies.remove(op.rid);
  }

  private void checkAlarm() {
    boolean alarm = writtenPages > 0 && prefetchStarted == 0 && prefetchCalls >= alarmAfterRequests;
    if (alarm && !alarmRaised) {
      alarmRaised = true;
      String w = "L3 has been written (" + writtenPages + " pages) but " + prefetchCalls
          + " queued requests started no prefetch: L3 is pure write overhead (docs/behaviour.md#prefetch-accounting)";
      warnings.add(w);
      LOG.log(System.Logger.Level.WARNING, w);
    }
    // Set when it changes, as prefetch_tokens_occupied (reportOccupied): once per request before.
    int value = alarm ? 1 : 0;
    if (value != reportedAlarm) {
      reportedAlarm = value;
      metrics.gauge(StorageMetrics.WRITE_WITHOUT_READ_ALARM, null, value);
    }
  }

  // ---------------------------------------------------------------- introspection

  /** SGLang's {@code prefetch_tokens_occupied}. */
  public long occupiedTokens() { return occupiedTokens; }

  public long capacityLimitTokens() { return capacityLimitTokens; }

  public int threshold() { return threshold; }

  public PrefetchPolicy policy() { return policy; }

  public L3Port port() { return port; }

  public RankGroup group() { return group; }

  /** Start-up and run-time warnings (capacity limit ≤ 0, write-without-read). */
  public List<String> warnings() { return List.copyOf(warnings); }

  /** Whether the write-without-read alarm is raised. */
  public boolean writeWithoutReadAlarm() { return alarmRaised; }

  /** The live prefetch of a request, or null. */
  public PrefetchOperation ongoing(long rid) { return ops.get(rid); }

  public int livePrefetches() { return ops.size(); }

  /** Backups queued or in flight, not yet acknowledged. */
  public int pendingBackups() { return backups.size(); }

  /** Host pages the prefetch path owns (live, in flight after ending, waiting to be freed). */
  public int ownedHostPages() { return ownedPages; }

  /** Host pages waiting for the next tick's agreed release. */
  public int pendingHostRelease() { return hostRelease.size(); }

  /** Whether anything is still moving or waiting: ops, zombies, backups, releases, commands. */
  public boolean idle() {
    return ops.isEmpty() && zombies.isEmpty() && backups.isEmpty() && hostRelease.isEmpty() && commands.isEmpty();
  }

  /**
   * Throws IllegalStateException describing the first broken invariant: {@code
   * prefetch_tokens_occupied} equals the sum over live ops, every live op's anchor is
   * protected, host pages owned by the prefetch path are accounted for exactly, every in-flight
   * command belongs to something alive.
   */
  public void checkInvariants() {
    long sum = 0;
    int owned = hostRelease.size();
    for (PrefetchOperation op : ops.values()) {
      sum += op.requestedTokens;
      if (op.state.isFinal()) throw new IllegalStateException("final op still live: " + op);
      if (op.anchor.hostRefCounter() <= 0) throw new IllegalStateException("anchor of " + op + " is not protected");
      if (op.hostPages != null) owned += op.hostPages.length;
      if (op.completedTokens > Math.max(0, op.hitTokens)) throw new IllegalStateException("completed beyond the hit: " + op);
    }
    for (PrefetchOperation z : zombies.values()) if (z.zombiePages != null) owned += z.zombiePages.length;
    if (sum != occupiedTokens) {
      throw new IllegalStateException("prefetch_tokens_occupied " + occupiedTokens + " != sum over live ops " + sum);
    }
    if (owned != ownedPages) throw new IllegalStateException("prefetch owns " + ownedPages + " host pages, found " + owned);
    for (Object c : commands.values()) {
      if (c instanceof ReadCmd rc && rc.op.state.isFinal() && !zombies.containsKey(rc.op.rid)) {
        throw new IllegalStateException("read in flight for an ended op that is not tracked: " + rc.op);
      }
    }
    for (BackupOp b : backups) {
      if (b.protectedHost && !b.node.removed() && b.node.hostRefCounter() <= 0) {
        throw new IllegalStateException("backup of node " + b.node.id() + " lost its host protection");
      }
    }
  }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("the storage controller is closed");
  }

  /**
   * Ends every live prefetch (as aborted), lets the commands in flight finish, frees what the
   * prefetch path owns and releases protected nodes. The port is closed too. Single-rank only
   * (a TP group closes when every rank does).
   */
  @Override public void close() {
    if (closed) return;
    for (PrefetchOperation op : new ArrayList<>(ops.values())) finish(op, 0, TerminalReason.ABORTED);
    closing = true;
    // Let every command already issued finish (its pages are written or read until then), then take
    // the completions so that every page goes back.
    if (port instanceof VirtualTimeL3Port v) v.drain(this);
    else {
      port.close(); // runs what is queued, then stops the lanes
      port.poll(this);
    }
    for (BackupOp b : backups) if (b.protectedHost && !b.node.removed()) tree.releaseHost(b.node);
    backups.clear();
    if (!hostRelease.isEmpty()) {
      int[] pages = hostRelease.stream().mapToInt(Integer::intValue).toArray();
      hostRelease.clear();
      host.free(pages);
      ownedPages -= pages.length;
    }
    closed = true;
    port.close();
    // The cells go back to the sink, which may outlive this controller (docs/observability.md#metrics).
    for (MetricHandle h : new MetricHandle[] {consensusTicks, prefetchesStarted, prefetchedTokens, l3PagesWritten,
        l3BytesWritten, backupedToStorage, prefetchPages, backupPages}) {
      h.release();
    }
    for (MetricHandle h : prefetchTerminated) h.release();
    for (MetricHandle h : prefetchDuration) h.release();
  }

  /** Builds a storage controller. */
  public static final class Builder {
    private final HiRadixTree tree;
    private final HostPages host;
    private final L3Port port;
    private HiCacheConfig config = HiCacheConfig.defaults();
    private PrefetchPolicy policy;
    private RankGroup group = RankGroup.single();
    private Clock clock = Clock.system();
    private MetricsSink metrics = MetricsSink.NONE;
    private PageKey namespaceSeed;
    private int deviceTokens;
    private long capacityLimitTokens;
    private int slots = 256;
    private boolean mla;
    private long pageBytes;
    private int alarmAfterRequests = 100;
    private boolean promptsUnmodified;

    private Builder(HiRadixTree tree, HostPages host, L3Port port) {
      if (tree == null || host == null || port == null) throw new IllegalArgumentException("tree, host pages and L3 port are required");
      this.tree = tree;
      this.host = host;
      this.port = port;
    }

    public Builder config(HiCacheConfig c) { config = c; return this; }

    /** Overrides the policy the config selects (a user's own). */
    public Builder policy(PrefetchPolicy p) { policy = p; return this; }

    public Builder rankGroup(RankGroup g) { group = g; return this; }

    public Builder clock(Clock c) { clock = c; return this; }

    public Builder metrics(MetricsSink m) { metrics = m; return this; }

    /** The seed of chains that start at the root (docs/behaviour.md#namespaces); must be the tree's. */
    public Builder namespaceSeed(PageKey seed) { namespaceSeed = seed; return this; }

    /** Device pool tokens, for the in-flight budget 0.8 × (host − device). */
    public Builder deviceTokens(int t) { deviceTokens = t; return this; }

    /** Overrides the in-flight budget (tokens) instead of 0.8 × (host − device). */
    public Builder prefetchCapacityLimitTokens(long t) { capacityLimitTokens = t; return this; }

    /** Fixed number of prefetch slots in the consensus vector (default 256); more live ops are rate limited. */
    public Builder slots(int n) { slots = n; return this; }

    /** MLA model: only rank 0 writes to L3. */
    public Builder mla(boolean v) { mla = v; return this; }

    /** Bytes per page, for the bytes metrics. */
    public Builder pageBytes(long b) { pageBytes = b; return this; }

    /** Queued requests after which writes without any prefetch raise the alarm (default 100). */
    public Builder alarmAfterRequests(int n) { alarmAfterRequests = n; return this; }

    /** See {@link dev.hicache.core.engine.HiCache.Builder#promptsUnmodified}: keep the caller's array, no copy. */
    public Builder promptsUnmodified(boolean v) { promptsUnmodified = v; return this; }

    public StorageController build() {
      if (config == null || group == null || clock == null || metrics == null) throw new IllegalArgumentException("config, rank group, clock and metrics must not be null");
      if (slots < 1) throw new IllegalArgumentException("prefetch slots must be >= 1, got " + slots);
      if (deviceTokens < 0) throw new IllegalArgumentException("device tokens must be >= 0, got " + deviceTokens);
      return new StorageController(this);
    }
  }
}
