package dev.hicache.core.engine;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.Tokens;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.core.events.EngineEvents;
import dev.hicache.api.metrics.MetricLabels;
import dev.hicache.core.metrics.MetricHandle;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.api.spi.Transfer;
import dev.hicache.api.spi.WritePolicy;
import dev.hicache.core.storage.HostPages;
import dev.hicache.core.storage.StorageController;
import dev.hicache.core.tp.ConsensusParticipant;
import dev.hicache.core.tree.DeviceEvictionHandler;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.InsertResult;
import dev.hicache.core.tree.MatchResult;
import dev.hicache.core.tree.TreeNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * SGLang's HiCacheController and the request hooks of HiRadixCache (docs/behaviour.md#radix-tree,
 * docs/behaviour.md#cache-controller) as a deterministic, single-threaded state machine: it mutates
 * the tree, issues copy commands to a {@link TransferPort} and consumes their completions as
 * events, in issue order (FIFO acks). It never blocks and never reads a clock: where SGLang blocks
 * (write_back eviction waits for its copies), the eviction stays pending and the acknowledgement
 * event completes it.
 *
 * <p>Integrity: every host page is recorded with the key of the page it holds and, once its backup
 * is acknowledged, the checksum of its bytes under that key. A load-back verifies both before any
 * byte moves; a page that does not verify is a miss, and the request recomputes it.
 */
final class CacheController implements DeviceEvictionHandler {
  static final String CACHED_TOKENS = HiCacheMetric.CACHED_TOKENS.key();
  static final String PROMPT_TOKENS = HiCacheMetric.PROMPT_TOKENS.key();
  static final String BACKUPED_TOKENS = HiCacheMetric.BACKUPED_TOKENS.key();
  static final String BACKUP_BYTES = HiCacheMetric.BACKUP_BYTES.key();
  static final String BACKUP_FAILED_TOKENS = HiCacheMetric.BACKUP_FAILED_TOKENS.key();
  static final String BACKUP_SKIPPED_TOKENS = HiCacheMetric.BACKUP_SKIPPED_TOKENS.key();
  /** Host pages of an acknowledged backup that could not be written to L3 (evicted or removed first). */
  public static final String L3_BACKUP_UNREACHABLE_PAGES = HiCacheMetric.L3_BACKUP_UNREACHABLE_PAGES.key();
  static final String LOAD_BACK_TOKENS = HiCacheMetric.LOAD_BACK_TOKENS.key();
  static final String LOAD_BACK_BYTES = HiCacheMetric.LOAD_BACK_BYTES.key();
  static final String LOAD_BACK_FAILED_TOKENS = HiCacheMetric.LOAD_BACK_FAILED_TOKENS.key();
  static final String LOAD_BACK_VERIFY_FAILED = HiCacheMetric.LOAD_BACK_VERIFY_FAILED.key();
  static final String LOAD_BACK_NOT_READY = HiCacheMetric.LOAD_BACK_NOT_READY.key();
  static final String POISONED_EVICTED_TOKENS = HiCacheMetric.POISONED_EVICTED_TOKENS.key();
  static final String EVICTED_TOKENS = HiCacheMetric.EVICTED_TOKENS.key();
  static final String WRITE_BACK_LOST_TOKENS = HiCacheMetric.WRITE_BACK_LOST_TOKENS.key();
  static final String BACKUP_QUEUE = HiCacheMetric.BACKUP_QUEUE_DEPTH.key();
  static final String LOAD_QUEUE = HiCacheMetric.LOAD_QUEUE_DEPTH.key();
  static final String HOST_USED = HiCacheMetric.HOST_USED_TOKENS.key();
  static final String HOST_TOTAL = HiCacheMetric.HOST_TOTAL_TOKENS.key();
  static final String DEVICE_USED = HiCacheMetric.DEVICE_USED_TOKENS.key();

  /** Host page states: free; being written by a backup; acknowledged; failed; released by the tree while still being written. */
  private static final byte H_FREE = 0, H_PENDING = 1, H_VALID = 2, H_INVALID = 3, H_PENDING_FREED = 4;
  /** Owned by an L3 prefetch (being read into, or waiting to join the tree or to be released). */
  private static final byte H_PREFETCH = 5;
  /** A load that keeps failing after this many tries is reported to the request as failed. */
  static final int LOAD_ATTEMPTS = 3;

  private final HiRadixTree tree;
  private final int ps;
  private final int layers;
  private final long bytesPerPage;
  private final WritePolicy writePolicy;
  private final TierPageAllocator device;
  private final TierPageAllocator host; // null: no host tier (L1 only)
  private final TransferPort port;
  private final MetricsSink metrics;
  // The metrics reported per request or per step, through handles: no look-up per report.
  private final MetricHandle promptTokens, cachedDevice, cachedHost, cachedStorage, deviceUsed;
  // ... and those reported per eviction, copy or ack (millions of times in a long replay).
  private final MetricHandle evictedDevice, evictedHost, hostUsedTokens, backupQueue, loadQueue, backupedHost,
      backupBytes, loadBackTokens, loadBackBytes;
  // ... and the copy durations, one observation per backup or load-back ack.
  private final MetricHandle backupDuration, loadBackDuration;
  private EngineEvents events = EngineEvents.NONE;
  private final int loadBackThreshold;
  private final LoadTicket.Driver driver;
  /** For durations only (the shell's clock: virtual time in the deterministic shell). */
  private final dev.hicache.api.spi.Clock clock;
  static final String BACKUP_DURATION = HiCacheMetric.BACKUP_DURATION.key();
  static final String LOAD_BACK_DURATION = HiCacheMetric.LOAD_BACK_DURATION.key();

  private final PageKey[] hostKey;
  private final long[] hostSum;
  private final byte[] hostState;
  private int hostUsed;
  /** Per device page: the id of the in-flight load filling it, or 0. */
  private final long[] deviceLoadOp;
  /**
   * Per device page: in-flight backups reading it. A page the tree frees while a backup still reads
   * it (a write-back node split and evicted mid-copy) returns to the pool only at the ack, so no
   * request can overwrite bytes that are being copied down.
   */
  private final byte[] deviceReaders;
  private final java.util.BitSet deviceFreeDeferred;
  private int deferredDevicePages;
  /** Device pages of failed load-backs: in the tree, but holding no valid KV (never served). */
  private final java.util.BitSet devicePoisoned;
  /** Last nodes of failed load-backs whose poisoned pages still wait for eviction. */
  private final List<TreeNode> poisonedNodes = new ArrayList<>();
  private int deferredHostPages;
  private int prefetchHostPages;
  /** The L3 half (prefetch, L2→L3 backup, TP consensus); null without a storage backend. */
  private StorageController storage;
  /** TP > 1: acks are popped only in the counts the ranks agreed on (see {@link #agreeAcksAcrossRanks}). */
  private boolean agreeAcks;

  private final ArrayDeque<BackupOp> backups = new ArrayDeque<>();
  private final ArrayDeque<LoadOp> loads = new ArrayDeque<>();
  private final OpTable inflight = new OpTable();
  private long nextOp = 1;
  private int ownedDevicePages;
  private int pendingWriteBackPages;
  private final Set<CacheRequest> live = Collections.newSetFromMap(new IdentityHashMap<>());

  private static final class BackupOp {
    final long id;
    final TreeNode node;
    final int[] hostPages;
    final int[] devicePages;
    final PageKey[] keys;
    final boolean writeBack;
    long issuedAt;
    boolean done;
    long[] checksums;
    Throwable failure;

    BackupOp(long id, TreeNode node, int[] hostPages, int[] devicePages, PageKey[] keys, boolean writeBack) {
      this.id = id; this.node = node; this.hostPages = hostPages; this.devicePages = devicePages; this.keys = keys;
      this.writeBack = writeBack;
    }
  }

  private static final class LoadOp {
    final long id;
    final TreeNode lastNode;
    final int[] hostPages;
    final int[] devicePages;
    final LoadTicket ticket;
    long issuedAt;
    int attempts = 1;
    boolean done;
    Throwable failure;

    LoadOp(long id, TreeNode lastNode, int[] hostPages, int[] devicePages, LoadTicket ticket) {
      this.id = id; this.lastNode = lastNode; this.hostPages = hostPages; this.devicePages = devicePages; this.ticket = ticket;
    }
  }

  CacheController(HiRadixTree tree, int layers, long bytesPerPage, WritePolicy writePolicy, TierPageAllocator device,
                  TierPageAllocator host, TransferPort port, MetricsSink metrics, int loadBackThreshold,
                  LoadTicket.Driver driver, dev.hicache.api.spi.Clock clock) {
    this.tree = tree;
    this.ps = tree.pageSize();
    this.layers = layers;
    this.bytesPerPage = bytesPerPage;
    this.writePolicy = writePolicy;
    this.device = device;
    this.host = host;
    this.port = port;
    this.metrics = metrics;
    promptTokens = MetricHandle.of(metrics, PROMPT_TOKENS, null);
    cachedDevice = MetricHandle.of(metrics, CACHED_TOKENS, MetricLabels.DEVICE);
    cachedHost = MetricHandle.of(metrics, CACHED_TOKENS, MetricLabels.HOST);
    cachedStorage = MetricHandle.of(metrics, CACHED_TOKENS, MetricLabels.STORAGE);
    deviceUsed = MetricHandle.of(metrics, DEVICE_USED, null);
    evictedDevice = MetricHandle.of(metrics, EVICTED_TOKENS, MetricLabels.DEVICE);
    evictedHost = MetricHandle.of(metrics, EVICTED_TOKENS, MetricLabels.HOST);
    hostUsedTokens = MetricHandle.of(metrics, HOST_USED, null);
    backupQueue = MetricHandle.of(metrics, BACKUP_QUEUE, null);
    loadQueue = MetricHandle.of(metrics, LOAD_QUEUE, null);
    backupedHost = MetricHandle.of(metrics, BACKUPED_TOKENS, MetricLabels.HOST);
    backupBytes = MetricHandle.of(metrics, BACKUP_BYTES, null);
    loadBackTokens = MetricHandle.of(metrics, LOAD_BACK_TOKENS, null);
    loadBackBytes = MetricHandle.of(metrics, LOAD_BACK_BYTES, null);
    backupDuration = MetricHandle.of(metrics, BACKUP_DURATION, null);
    loadBackDuration = MetricHandle.of(metrics, LOAD_BACK_DURATION, null);
    this.loadBackThreshold = loadBackThreshold;
    this.driver = driver;
    this.clock = clock;
    int hp = host == null ? 0 : host.capacity();
    this.hostKey = new PageKey[hp];
    this.hostSum = new long[hp];
    this.hostState = new byte[hp];
    this.deviceLoadOp = new long[device.capacity()];
    this.deviceReaders = new byte[device.capacity()];
    this.deviceFreeDeferred = new java.util.BitSet(device.capacity());
    this.devicePoisoned = new java.util.BitSet(device.capacity());
    metrics.gauge(HOST_TOTAL, null, (long) hp * ps);
  }

  /**
   * Gives the counter and distribution handles' cells back to the sink when the cache closes, on the closing
   * (scheduler) thread: a sink shared by caches built over time keeps a cell per live handle
   * (docs/observability.md#metrics).
   * A report after this takes a cell again.
   */
  void releaseMetricHandles() {
    for (MetricHandle h : new MetricHandle[] {promptTokens, cachedDevice, cachedHost, cachedStorage, evictedDevice,
        evictedHost, backupedHost, backupBytes, loadBackTokens, loadBackBytes, backupDuration, loadBackDuration}) {
      h.release();
    }
  }

  HiRadixTree tree() { return tree; }

  StorageController storage() { return storage; }

  /** The caller never modifies a prompt it handed over: requests keep it instead of a copy. */
  private boolean promptsUnmodified;

  void promptsUnmodified() {
    promptsUnmodified = true;
    tree.tokensUnmodified(); // the tree keeps views of the prompts too, under the same promise
  }

  /** Per-operation tracing (docs/observability.md#jfr-events). */
  void engineEvents(EngineEvents e) { events = e == null ? EngineEvents.NONE : e; }

  void attachStorage(StorageController sc) {
    if (storage != null) throw new IllegalStateException("a storage controller is already attached");
    storage = sc;
  }

  /**
   * TP > 1: copy acks are no longer applied when they arrive but in agreed counts, through {@link
   * #ackConsensus()} (SGLang's {@code writing_check}: the MIN over ranks of the finished D→H acks at
   * the head of the FIFO, docs/behaviour.md#tp-consensus). Load acks are agreed the same way: a
   * load's lock is released at its ack, and an eviction on one rank only would make the trees
   * differ.
   */
  void agreeAcksAcrossRanks() {
    agreeAcks = true;
  }

  /**
   * Three entries of the tick's single all-reduce (MIN): the finished backup acks and the finished
   * load acks at the heads of their FIFOs, and the pins due from the oldest on; every rank pops the
   * agreed counts.
   */
  ConsensusParticipant ackConsensus() {
    return new ConsensusParticipant() {
      @Override public int width() { return 3; }

      @Override public void gather(long[] v, int off) {
        v[off] = leadingDone(backups);
        v[off + 1] = leadingDoneLoads();
        v[off + 2] = control == null ? 0 : control.dueVote();
      }

      @Override public void apply(long[] r, int off) {
        popAgreed(r[off], r[off + 1]);
        // Pins end when every rank's clock has passed their deadline (docs/engine-integration.md#cache-control).
        if (control != null) control.applyAgreedExpiry(r[off + 2]);
      }
    };
  }

  /** Finished backups at the head of the FIFO, not yet popped (TP > 1: waiting for the ranks' agreement). */
  int finishedBackupAcks() { return leadingDone(backups); }

  private static int leadingDone(ArrayDeque<BackupOp> q) {
    int n = 0;
    for (BackupOp op : q) {
      if (!op.done) break;
      n++;
    }
    return n;
  }

  private int leadingDoneLoads() {
    int n = 0;
    for (LoadOp op : loads) {
      if (!op.done) break;
      n++;
    }
    return n;
  }

  private void popAgreed(long backupAcks, long loadAcks) {
    if (backupAcks > leadingDone(backups) || loadAcks > leadingDoneLoads()) {
      throw new IllegalStateException("TP ranks agreed on " + backupAcks + " backup and " + loadAcks + " load acks, but this rank has "
          + leadingDone(backups) + " and " + leadingDoneLoads() + " finished: the ranks' copy FIFOs are out of step");
    }
    for (long k = 0; k < backupAcks; k++) applyBackup(backups.poll());
    for (long k = 0; k < loadAcks; k++) applyLoad(loads.poll());
    backupQueue.set(backups.size());
    loadQueue.set(loads.size());
    if (!poisonedNodes.isEmpty()) evictPoisoned();
  }

  /**
   * The host pages as the storage controller sees them: pages it allocates belong to the prefetch
   * (not to the tree) until they are filled — then recorded with their key and checksum, so a
   * load-back verifies them like any backup — or freed after their last L3 IO.
   */
  HostPages hostPages(HostPool pool) {
    return new HostPages() {
      @Override public int capacityPages() { return host.capacity(); }

      @Override public int availablePages() { return host.available(); }

      @Override public int[] alloc(int n) {
        return alloc(n, null);
      }

      @Override public int[] alloc(int n, PageKey namespace) {
        if (control != null) control.expireDue(); // a pin past its deadline protects nothing
        int[] hp = allocHost(n, true, namespace);
        if (hp == null) return null;
        for (int p : hp) {
          if (hostState[p] != H_FREE) throw new IllegalStateException("host page " + p + " allocated twice");
          hostState[p] = H_PREFETCH;
        }
        hostUsed += hp.length;
        prefetchHostPages += hp.length;
        hostUsedTokens.set((long) hostUsed * ps);
        return hp;
      }

      @Override public void free(int[] pages) {
        for (int p : pages) {
          if (hostState[p] != H_PREFETCH) throw new IllegalStateException("prefetch frees host page " + p + " in state " + hostState[p]);
          hostState[p] = H_FREE;
        }
        hostUsed -= pages.length;
        prefetchHostPages -= pages.length;
        host.free(pages);
        hostUsedTokens.set((long) hostUsed * ps);
      }

      @Override public void filled(int[] pages, PageKey[] keys) {
        for (int i = 0; i < pages.length; i++) {
          int p = pages[i];
          if (hostState[p] != H_PREFETCH) throw new IllegalStateException("prefetch fills host page " + p + " in state " + hostState[p]);
          hostState[p] = H_VALID;
          hostKey[p] = keys[i];
          hostSum[p] = port.movesBytes() ? port.checksum(p, keys[i]) : 0;
        }
        prefetchHostPages -= pages.length;
      }

      @Override public HostPool pool() { return pool; }
    };
  }

  // ----------------------------------------------- request hooks (docs/behaviour.md#request-hooks)

  /**
   * Matches the prompt, loads back its host-resident continuation (if at least the load-back
   * threshold) and locks the request's last node. At most {@code length - 1} tokens are matched, so
   * the request computes at least one token (SGLang's {@code max_prefix_len}).
   */
  CacheRequest admit(int[] tokens, int priority) {
    return admit(-1, tokens, priority);
  }

  /** {@link #admit(int[], int)} for a request whose L3 prefetch (if any) has ended: counts its storage hit. */
  CacheRequest admit(long rid, int[] tokens, int priority) {
    return admit(rid, tokens, priority, null);
  }

  /**
   * {@link #admit(long, int[], int)} with the prompt's page keys computed beforehand (see {@link
   * HiCache#admit(long, int[], int, PageKey[])}): the insert at the end takes them instead of hashing.
   */
  CacheRequest admit(long rid, int[] tokens, int priority, PageKey[] pageKeys) {
    return admit(rid, tokens, priority, pageKeys, null);
  }

  /**
   * {@link #admit(long, int[], int, PageKey[])} for a request of the namespace seeded {@code
   * namespace} (null: the default one; docs/behaviour.md#namespaces): it matches, and later
   * inserts, only in that namespace's subtree.
   */
  CacheRequest admit(long rid, int[] tokens, int priority, PageKey[] pageKeys, PageKey namespace) {
    if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("a request needs at least one token");
    if (pageKeys != null && pageKeys.length > tokens.length / ps) {
      throw new IllegalArgumentException(pageKeys.length + " page keys for a prompt of " + tokens.length / ps + " full pages");
    }
    CacheRequest r = new CacheRequest(promptsUnmodified ? tokens : tokens.clone(), priority);
    r.pageKeys = pageKeys;
    r.namespace = namespace;
    r.pageSize = ps;
    MatchResult m = tree.matchPrefix(namespace, r.tokens, Tokens.pageAligned(tokens.length - 1, ps));
    int[] devicePages = m.devicePages();
    int clean = cleanPrefix(devicePages);
    boolean poisoned = clean < devicePages.length;
    if (poisoned) devicePages = Arrays.copyOf(devicePages, clean); // serve only what is valid; recompute the rest
    r.appendPages(devicePages);
    r.deviceHitTokens = devicePages.length * ps;
    r.lastNode = m.lastDeviceNode();
    List<LoadTicket> waits = new ArrayList<>();
    addLoadsFilling(devicePages, waits);
    if (!poisoned && host != null && m.hostHitPages() > 0 && (long) m.hostHitPages() * ps >= loadBackThreshold) {
      LoadOp op = loadBack(m);
      if (op != null) {
        r.appendPages(op.devicePages);
        r.hostHitTokens = op.devicePages.length * ps;
        r.lastNode = op.lastNode;
        waits.add(op.ticket);
      }
    }
    r.treePages = r.pageCount;
    tree.incLockRef(r.lastNode);
    r.load = new RequestLoad(layers, waits);
    live.add(r);
    promptTokens.add(tokens.length);
    // SGLang's cached_tokens_details: storage = min(host hit, prefetched); host = the rest.
    r.storageHitTokens = storage == null || rid < 0 ? 0 : Math.min(r.hostHitTokens, storage.takeStorageHitTokens(rid));
    cachedDevice.add(r.deviceHitTokens);
    cachedHost.add(r.hostHitTokens - r.storageHitTokens);
    if (storage != null) cachedStorage.add(r.storageHitTokens);
    return r;
  }

  /**
   * Evicts poisoned nodes back to host-only as soon as nothing locks them (the requests that
   * waited on the failed load abort first): walks up from each failed load's last node while the
   * nodes hold poisoned pages, bottom-up. Nodes still locked are tried again at the next completion.
   */
  private void evictPoisoned() {
    for (var it = poisonedNodes.iterator(); it.hasNext(); ) {
      TreeNode last = it.next();
      boolean done = true;
      for (TreeNode n = last; n != null && !n.isRoot() && !n.removed(); n = n.parent()) {
        int[] v = n.value();
        if (v == null) continue; // already evicted
        if (cleanPrefix(v) == v.length) break; // above the chain: clean
        int freed = tree.evictDeviceNode(n, this);
        if (freed == 0) {
          done = false;
          break;
        }
        metrics.count(POISONED_EVICTED_TOKENS, null, (long) freed * ps);
      }
      if (done || last.removed()) it.remove();
    }
  }

  /** The number of leading pages that are not poisoned. */
  private int cleanPrefix(int[] pages) {
    if (devicePoisoned.isEmpty()) return pages.length;
    for (int i = 0; i < pages.length; i++) if (devicePoisoned.get(pages[i])) return i;
    return pages.length;
  }

  /** Adds the tickets of in-flight loads that fill any of {@code pages} (another request's load-back). */
  private void addLoadsFilling(int[] pages, List<LoadTicket> waits) {
    for (int p : pages) {
      long op = deviceLoadOp[p];
      if (op != 0) {
        LoadTicket t = ((LoadOp) inflight.get(op)).ticket;
        if (!waits.contains(t)) waits.add(t);
      }
    }
  }

  /** load_back (docs/behaviour.md#load-back): verify, allocate, attach, lock, and issue the H→D copy; null when skipped. */
  private LoadOp loadBack(MatchResult m) {
    List<TreeNode> chain = tree.evictedChain(m.lastHostNode());
    int keep = verifiedNodes(chain);
    if (keep == 0) return null;
    chain = new ArrayList<>(chain.subList(0, keep));
    int total = 0;
    for (TreeNode n : chain) total += n.pages();
    if ((long) total * ps < loadBackThreshold) return null;
    TreeNode ancestor = m.lastDeviceNode();
    TreeNode last = chain.getLast();
    tree.incLockRef(ancestor);
    tree.protectHost(last); // a write_back eviction below must not take the chain from the host
    int[] dp;
    try {
      dp = allocDevice(total, last.namespaceSeed());
    } finally {
      tree.releaseHost(last);
      tree.decLockRef(ancestor);
    }
    if (dp == null) return null;
    int[] hp = new int[total];
    int i = 0;
    for (TreeNode n : chain) {
      System.arraycopy(n.hostValue(), 0, hp, i, n.pages());
      i += n.pages();
    }
    tree.attachDevicePages(chain, dp);
    tree.incLockRef(last);
    long id = nextOp++;
    LoadOp op = new LoadOp(id, last, hp, dp, new LoadTicket(id, layers, total * bytesPerPage, driver));
    for (int p : dp) deviceLoadOp[p] = id;
    op.issuedAt = clock.nanos();
    loads.add(op);
    inflight.put(id, op);
    loadQueue.set(loads.size());
    port.load(id, hp, dp, op.ticket);
    return op;
  }

  /** The number of leading chain nodes whose every host page holds its key's bytes. */
  private int verifiedNodes(List<TreeNode> chain) {
    for (int n = 0; n < chain.size(); n++) {
      TreeNode node = chain.get(n);
      int[] hv = node.hostValue();
      PageKey[] keys = node.hashValue();
      for (int i = 0; i < hv.length; i++) {
        int hp = hv[i];
        if (hostState[hp] != H_VALID) {
          // Its backup is not acknowledged (a write-back node split mid-copy), or it failed: a miss.
          metrics.count(LOAD_BACK_NOT_READY, null, 1);
          return n;
        }
        // Without page keys (a metadata-only simulation without L3: no bytes, no keys) the state is all there is.
        if (keys != null && (!keys[i].equals(hostKey[hp]) || (port.movesBytes() && port.checksum(hp, keys[i]) != hostSum[hp]))) {
          metrics.count(LOAD_BACK_VERIFY_FAILED, null, 1);
          events.checksumFailure(MetricLabels.HOST, keys[i]);
          return n;
        }
      }
    }
    return chain.size();
  }

  /**
   * Gives the request device pages for token positions [0, tokens), evicting per policy. False
   * when the device cannot hold them now (everything else is locked, or write_back copies are still
   * pending: poll and retry).
   */
  boolean extend(CacheRequest r, int tokens) {
    checkLive(r);
    if (tokens < 0) throw new IllegalArgumentException("extend: tokens must be >= 0, got " + tokens);
    long pages = ((long) tokens + ps - 1) / ps;
    if (pages > device.capacity()) {
      throw new NeverFitsException("extend: " + tokens + " tokens need " + pages + " device pages but the device pool"
          + " holds " + device.capacity() + " in all: this request can never fit; abort it (HiCache.abort)");
    }
    int need = (int) pages - r.pageCount;
    if (need <= 0) return true;
    int[] p = allocDevice(need, r.namespace);
    // Pins never starve a request (docs/engine-integration.md#cache-control): when it could not fit
    // beside them even once everything else is done, they give their pages up, oldest first.
    while (p == null && control != null && control.yieldFor((long) r.pageCount + need)) p = allocDevice(need, r.namespace);
    if (p == null) return false;
    r.appendPages(p);
    ownedDevicePages += need;
    deviceUsed.set((long) (device.capacity() - device.available()) * ps);
    return true;
  }

  /** cache_unfinished_req (chunked prefill): insert what is computed, adopt the tree's pages, move the lock. */
  void cacheUnfinished(CacheRequest r, int[] tokens, int kvTokens) {
    checkLive(r);
    int aligned = insertComputed(r, tokens, kvTokens, true);
    MatchResult m = tree.matchPrefix(r.namespace, tokens, aligned);
    int[] canonical = m.devicePages();
    if (canonical.length != aligned / ps) {
      throw new IllegalStateException("re-match after insert found " + canonical.length + " pages, expected " + aligned / ps);
    }
    System.arraycopy(canonical, 0, r.pages, 0, canonical.length);
    r.treePages = canonical.length;
    // The tree's pages may still be landing from another request's load-back: wait for those too.
    List<LoadTicket> waits = new ArrayList<>(r.load.parts());
    addLoadsFilling(canonical, waits);
    r.load = new RequestLoad(layers, waits);
    TreeNode old = r.lastNode;
    r.lastNode = m.lastDeviceNode();
    tree.incLockRef(r.lastNode);
    tree.decLockRef(old);
  }

  /** cache_finished_req: insert, free duplicates and the unaligned tail, unlock. */
  void finish(CacheRequest r, int[] tokens, int kvTokens) {
    checkLive(r);
    int aligned = insertComputed(r, tokens, kvTokens, false);
    int tail = r.pageCount - aligned / ps;
    if (tail > 0) {
      int[] t = Arrays.copyOfRange(r.pages, aligned / ps, r.pageCount);
      device.free(t);
      ownedDevicePages -= tail;
      r.pageCount = aligned / ps;
    }
    release(r);
  }

  /** Ends a request without caching what it computed (abort). */
  void abort(CacheRequest r) {
    checkLive(r);
    int owned = r.pageCount - r.treePages;
    if (owned > 0) {
      device.free(Arrays.copyOfRange(r.pages, r.treePages, r.pageCount));
      ownedDevicePages -= owned;
      r.pageCount = r.treePages;
    }
    release(r);
  }

  private void release(CacheRequest r) {
    tree.decLockRef(r.lastNode);
    if (!poisonedNodes.isEmpty()) evictPoisoned();
    r.done = true;
    live.remove(r);
    deviceUsed.set((long) (device.capacity() - device.available()) * ps);
  }

  /**
   * Inserts tokens[0, aligned) with the request's pages, frees the request's duplicates of pages the
   * tree already held (docs/behaviour.md#request-hooks), and starts the backups the write policy
   * asks for.
   */
  private int insertComputed(CacheRequest r, int[] tokens, int kvTokens, boolean chunked) {
    if (tokens != r.tokens
        && (tokens.length < r.tokens.length || !Arrays.equals(tokens, 0, r.tokens.length, r.tokens, 0, r.tokens.length))) {
      throw new IllegalArgumentException("tokens must start with the request's prompt");
    }
    if (kvTokens < 0 || kvTokens > tokens.length || kvTokens > r.capacityTokens()) {
      throw new IllegalArgumentException("kv tokens " + kvTokens + " outside 0.." + Math.min(tokens.length, r.capacityTokens()));
    }
    int aligned = Tokens.pageAligned(kvTokens, ps);
    if (chunked && !devicePoisoned.isEmpty()) {
      // The request reads its prefix again in the next chunk: never trade its own computed pages for
      // poisoned tree pages. Insert only up to the first poisoned page on the path.
      int[] path = tree.matchPrefix(r.namespace, tokens, aligned).devicePages();
      int clean = cleanPrefix(path);
      if (clean < path.length) aligned = Math.max(clean * ps, r.treePages * ps);
    }
    int alignedPages = aligned / ps;
    if (alignedPages < r.treePages) {
      throw new IllegalArgumentException("kv tokens " + kvTokens + " are fewer than the cached prefix " + r.treePages * ps);
    }
    InsertResult ir = tree.insert(r.namespace, tokens, aligned, Arrays.copyOf(r.pages, alignedPages), r.priority, chunked, r.pageKeys);
    int prefix = ir.devicePrefixPages();
    if (prefix < r.treePages) {
      throw new IllegalStateException("insert found " + prefix + " device pages, fewer than the locked prefix " + r.treePages);
    }
    if (prefix > r.treePages) {
      // Pages the tree already held: free the request's duplicates and take the tree's.
      device.free(Arrays.copyOfRange(r.pages, r.treePages, prefix));
    }
    // [treePages, prefix) were duplicates and are freed; [prefix, alignedPages) now belong to the tree.
    ownedDevicePages -= alignedPages - r.treePages;
    r.treePages = alignedPages;
    for (TreeNode n : ir.needBackup()) writeBackup(n);
    return aligned;
  }

  private void checkLive(CacheRequest r) {
    if (r == null || r.done || !live.contains(r)) throw new IllegalStateException("request is finished or unknown: " + r);
  }

  // ---------------------------------------------------- memory (docs/behaviour.md#device-eviction)

  /**
   * n device pages for the namespace seeded {@code namespace}, evicting per policy once (with a
   * namespace quota, that namespace's own pages first while it is over it); null if they cannot be
   * had now.
   */
  private int[] allocDevice(int n, PageKey namespace) {
    int[] p = device.alloc(n);
    if (p != null) return p;
    if (control != null) control.expireDue(); // a pin past its deadline protects nothing
    int need = n - device.available() - tree.pendingWriteBackPages();
    if (need > 0) {
      if (host != null && writePolicy.writeBack() && host.available() < need) {
        tree.evictHost(need - host.available(), this::freeHostPages);
      }
      tree.evictDevice(need, this, namespace, n);
    }
    return device.alloc(n);
  }

  @Override public void freeDevicePages(int[] pages) {
    int deferred = 0;
    // Poisoned pages come only from failed load-backs: almost always none, and then no page's bit
    // is read or cleared (a BitSet.clear in range rescans for the highest word in use).
    boolean anyPoisoned = !devicePoisoned.isEmpty();
    for (int p : pages) {
      if (anyPoisoned) devicePoisoned.clear(p);
      if (deviceLoadOp[p] != 0) throw new IllegalStateException("device page " + p + " evicted while a load fills it");
      if (deviceReaders[p] > 0) {
        deviceFreeDeferred.set(p);
        deferred++;
      }
    }
    if (deferred == 0) {
      device.free(pages);
    } else {
      int[] now = new int[pages.length - deferred];
      int i = 0;
      for (int p : pages) if (!deviceFreeDeferred.get(p)) now[i++] = p;
      if (now.length > 0) device.free(now);
      deferredDevicePages += deferred;
    }
    evictedDevice.add((long) pages.length * ps);
    events.eviction(MetricLabels.DEVICE, pages.length);
  }

  private void freeHostPages(int[] pages) {
    int pending = 0;
    for (int p : pages) {
      byte state = hostState[p];
      if (state == H_FREE || state == H_PENDING_FREED) {
        throw new IllegalStateException("host page " + p + " freed in state " + state);
      }
      hostKey[p] = null;
      if (state == H_PENDING) {
        // A backup still writes it: it returns to the pool at the ack.
        hostState[p] = H_PENDING_FREED;
        pending++;
      } else {
        hostState[p] = H_FREE;
      }
    }
    deferredHostPages += pending;
    hostUsed -= pages.length - pending;
    // Usually none is pending: the pages go back as given (the pool reads them, keeps no reference).
    if (pending == 0) {
      host.free(pages);
    } else if (pending < pages.length) {
      int[] now = new int[pages.length - pending];
      int i = 0;
      for (int p : pages) if (hostState[p] == H_FREE) now[i++] = p;
      host.free(now);
    }
    evictedHost.add((long) pages.length * ps);
    events.eviction(MetricLabels.HOST, pages.length);
    hostUsedTokens.set((long) hostUsed * ps);
  }

  private int[] allocHost(int n, boolean mayEvict, PageKey namespace) {
    int[] hp = host.alloc(n);
    if (hp == null && mayEvict) {
      tree.evictHost(n - host.available(), this::freeHostPages, namespace, n);
      hp = host.alloc(n);
    }
    return hp;
  }

  /** write_back: the tree evicts a node that is not backuped; copy it down first (docs/behaviour.md#device-eviction). */
  @Override public boolean startWriteBack(TreeNode node) {
    if (host == null || !writePolicy.writeBack()) return false;
    // Room was made before evictDevice; if the node is larger, evict host-only leaves now (the tree
    // allows it: evictHost touches no device leaf).
    int[] hp = allocHost(node.pages(), true, node.namespaceSeed());
    if (hp == null) {
      metrics.count(WRITE_BACK_LOST_TOKENS, null, (long) node.pages() * ps);
      return false;
    }
    pendingWriteBackPages += node.pages();
    issueBackup(node, hp, true);
    return true;
  }

  /** write_through / write_through_selective: write_backup (docs/behaviour.md#write-policies). */
  private void writeBackup(TreeNode node) {
    if (host == null || node.backuped() || node.evicted()) return;
    if (control != null) control.expireDue(); // a pin past its deadline protects nothing
    int[] hp = allocHost(node.pages(), true, node.namespaceSeed());
    if (hp == null) {
      metrics.count(BACKUP_SKIPPED_TOKENS, null, (long) node.pages() * ps);
      return;
    }
    tree.incLockRef(node); // its device pages must stay while the copy reads them
    issueBackup(node, hp, false);
  }

  private void issueBackup(TreeNode node, int[] hp, boolean writeBack) {
    if (node.hashValue() == null && port.movesBytes()) throw new IllegalStateException("moving bytes needs page keys: give the tree a hasher");
    // The node's arrays are never changed in place (a split or eviction replaces them), so the op and
    // the port share them, and the host pages allocated here, instead of copies (TransferPort).
    PageKey[] keys = node.hashValue() == null ? new PageKey[node.pages()] : node.hashValue();
    int[] dp = node.value();
    for (int p : dp) deviceReaders[p]++;
    tree.setBackuped(node, hp);
    for (int i = 0; i < hp.length; i++) {
      if (hostState[hp[i]] != H_FREE) throw new IllegalStateException("host page " + hp[i] + " allocated twice");
      hostState[hp[i]] = H_PENDING;
      hostKey[hp[i]] = keys[i];
    }
    hostUsed += hp.length;
    long id = nextOp++;
    BackupOp op = new BackupOp(id, node, hp, dp, keys, writeBack);
    op.issuedAt = clock.nanos();
    backups.add(op);
    inflight.put(id, op);
    backupQueue.set(backups.size());
    hostUsedTokens.set((long) hostUsed * ps);
    port.backup(id, dp, hp, keys);
  }

  // ---------------------------------------------- completions (docs/behaviour.md#cache-controller)

  /** A backup finished; acks are applied in issue order (writing_check). */
  void backupDone(long id, long[] checksums, Throwable failure) {
    if (!(inflight.get(id) instanceof BackupOp op) || op.done) throw new IllegalStateException("unknown backup op " + id);
    op.done = true;
    op.checksums = checksums;
    op.failure = failure;
    if (agreeAcks) return; // popped in the agreed count at the next tick
    while (!backups.isEmpty() && backups.peek().done) applyBackup(backups.poll());
    backupQueue.set(backups.size());
    if (!poisonedNodes.isEmpty()) evictPoisoned();
  }

  private void applyBackup(BackupOp op) {
    inflight.remove(op.id);
    // Deferred frees are rare (a write-back node split and evicted mid-copy): with none, no bit is read.
    boolean anyDeferred = deferredDevicePages > 0;
    for (int p : op.devicePages) {
      if (--deviceReaders[p] == 0 && anyDeferred && deviceFreeDeferred.get(p)) {
        deviceFreeDeferred.clear(p);
        deferredDevicePages--;
        device.free(new int[] {p});
      }
    }
    for (int i = 0; i < op.hostPages.length; i++) {
      int hp = op.hostPages[i];
      if (hostState[hp] == H_PENDING_FREED) {
        hostState[hp] = H_FREE;
        hostUsed--;
        deferredHostPages--;
        host.free(new int[] {hp});
        continue;
      }
      if (hostState[hp] != H_PENDING) throw new IllegalStateException("host page " + hp + " not pending at its ack");
      if (op.failure != null) {
        hostState[hp] = H_INVALID;
      } else {
        hostState[hp] = H_VALID;
        hostSum[hp] = op.checksums == null ? 0 : op.checksums[i];
      }
    }
    long tokens = (long) op.hostPages.length * ps;
    events.copy("backup", op.id, op.hostPages.length, op.hostPages.length * bytesPerPage, clock.nanos() - op.issuedAt,
        op.failure == null);
    if (op.failure != null) {
      metrics.count(BACKUP_FAILED_TOKENS, null, tokens);
    } else {
      backupedHost.add(tokens);
      backupDuration.observe((clock.nanos() - op.issuedAt) / 1e9);
      backupBytes.add(op.hostPages.length * bytesPerPage);
    }
    if (storage != null && op.failure == null && storage.feedsL3(op.writeBack)) {
      // write_back feeds L3 too outside the compatible profile (docs/behaviour.md#write-policies)
      backupToStorage(op);
    }
    if (op.writeBack) {
      pendingWriteBackPages -= op.hostPages.length;
      // Its eviction may have been called off (locked meanwhile), and the node evicted since by
      // other means, even from the host: then there is nothing left to evict.
      if (!op.node.removed()) tree.evictBackuped(op.node, this);
    } else {
      tree.decLockRef(op.node);
    }
  }

  /**
   * Writes every page of an acknowledged L1->L2 backup on to L3. A request that splits the node while
   * its copy is in flight leaves the backup's pages in a chain of nodes: the node the copy was made
   * for keeps the tail, and the new upper nodes above it (each split adds one) hold the head. SGLang
   * writes only the node it recorded, so the head never reaches L3 (no later backup is made for it:
   * it is already backuped). Here each node of the chain that holds the backup's pages is written;
   * pages of nodes evicted or removed meanwhile are counted, never silently dropped.
   */
  private void backupToStorage(BackupOp op) {
    java.util.ArrayDeque<TreeNode> chain = new java.util.ArrayDeque<>();
    int covered = 0;
    for (TreeNode n = op.node; n != null && !n.isRoot() && covered < op.hostPages.length; n = n.parent()) {
      int[] hv = n.hostValue();
      if (n.removed() || hv == null || hv.length == 0 || !holdsHostPage(op.hostPages, hv[0])) break;
      chain.addFirst(n); // the head first: L3 then holds a prefix whenever it holds anything
      covered += hv.length;
    }
    for (TreeNode n : chain) storage.backup(n);
    if (covered < op.hostPages.length) metrics.count(L3_BACKUP_UNREACHABLE_PAGES, null, op.hostPages.length - covered);
  }

  private static boolean holdsHostPage(int[] pages, int page) {
    for (int p : pages) if (p == page) return true;
    return false;
  }

  /** A load finished (all layers landed, or it failed); acks are applied in issue order (loading_check). */
  void loadDone(long id, Throwable failure) {
    if (!(inflight.get(id) instanceof LoadOp op) || op.done) throw new IllegalStateException("unknown load op " + id);
    if (failure != null && op.attempts < LOAD_ATTEMPTS) {
      // The host copy is still verified and the device pages are still locked: try again.
      op.attempts++;
      port.load(id, op.hostPages, op.devicePages, op.ticket);
      return;
    }
    op.done = true;
    op.failure = failure;
    if (failure != null) op.ticket.progress.fail(failure);
    if (agreeAcks) return; // popped in the agreed count at the next tick
    while (!loads.isEmpty() && loads.peek().done) applyLoad(loads.poll());
    loadQueue.set(loads.size());
  }

  private void applyLoad(LoadOp op) {
    inflight.remove(op.id);
    for (int p : op.devicePages) deviceLoadOp[p] = 0;
    long tokens = (long) op.devicePages.length * ps;
    events.copy("load_back", op.id, op.devicePages.length, op.devicePages.length * bytesPerPage,
        clock.nanos() - op.issuedAt, op.failure == null);
    if (op.failure != null) {
      // The device pages hold no valid KV, yet the tree holds them as device-resident: poison them.
      // No match serves a poisoned page (the prefix stops before it) until eviction frees it; the
      // requests waiting on this load see the failure and recompute.
      metrics.count(LOAD_BACK_FAILED_TOKENS, null, tokens);
      for (int p : op.devicePages) devicePoisoned.set(p);
      tree.decLockRef(op.lastNode);
      poisonedNodes.add(op.lastNode);
      evictPoisoned();
      return;
    }
    loadBackTokens.add(tokens);
    loadBackDuration.observe((clock.nanos() - op.issuedAt) / 1e9);
    loadBackBytes.add(op.devicePages.length * bytesPerPage);
    tree.decLockRef(op.lastNode);
  }

  // ------------------------------------------------ cache control (docs/engine-integration.md#cache-control)

  /** The hints' state (pins hold locks and protections, demotes issue backups); null: none attached. */
  private CacheControl control;

  void control(CacheControl c) {
    if (control != null) throw new IllegalStateException("cache control is already attached");
    control = c;
  }

  int deviceCapacityPages() { return device.capacity(); }

  /** 0 without a host tier. */
  int hostCapacityPages() { return host == null ? 0 : host.capacity(); }

  /** The number of leading pages that hold valid KV (not poisoned by a failed load-back). */
  int cleanDevicePrefix(int[] pages) { return cleanPrefix(pages); }

  /** Whether a backup is still writing one of the node's host pages. */
  boolean hostCopyPending(TreeNode node) {
    int[] hv = node.hostValue();
    if (hv == null) return false;
    for (int p : hv) if (hostState[p] == H_PENDING) return true;
    return false;
  }

  /**
   * A demote's backup of a device node without a host copy: the write_backup copy the write
   * policies make (the node stays locked until the ack); false when there is no host room.
   */
  boolean backupForDemote(TreeNode node) {
    if (host == null || node.backuped() || node.evicted()) return false;
    writeBackup(node);
    return node.backuped();
  }

  // ---------------------------------------------------------------- introspection

  int inFlightBackups() { return backups.size(); }

  int inFlightLoads() { return loads.size(); }

  int liveRequests() { return live.size(); }

  /** Requests admitted and neither finished nor aborted when the cache closed (their pages go with the pools). */
  public static final String CLOSED_WITH_LIVE_REQUESTS = "hicache_closed_with_live_requests";

  /** Counts the live requests at close; returns how many there were. */
  int countLiveAtClose() {
    int n = live.size();
    if (n > 0) metrics.count(CLOSED_WITH_LIVE_REQUESTS, null, n);
    return n;
  }

  int ownedDevicePages() { return ownedDevicePages; }

  int pendingWriteBackPages() { return pendingWriteBackPages; }

  /** Whether a host page holds acknowledged bytes that no in-flight copy reads or writes (tests corrupt only those). */
  boolean hostPageAtRest(int hp) {
    if (host == null || hp < 0 || hp >= hostState.length || hostState[hp] != H_VALID) return false;
    for (LoadOp op : loads) for (int p : op.hostPages) if (p == hp) return false;
    return true;
  }

  /** Whether a device page holds KV that may be read: no load fills it and no failed load poisoned it (tests). */
  boolean devicePageAtRest(int p) {
    return p >= 0 && p < deviceLoadOp.length && deviceLoadOp[p] == 0 && !devicePoisoned.get(p);
  }

  /** Host pages whose backup has been acknowledged and whose bytes verify at this moment (tests). */
  int validHostPages() {
    int n = 0;
    for (byte s : hostState) if (s == H_VALID) n++;
    return n;
  }

  /**
   * Throws IllegalStateException describing the first broken invariant of the tree or of the
   * controller: page accounting exact in both pools, every in-flight copy holding what protects it,
   * FIFO acks consistent with the in-flight table. O(pages): tests only.
   */
  void checkInvariants() {
    tree.checkInvariants();
    if (storage != null) storage.checkInvariants();
    int deviceUsed = device.capacity() - device.available();
    if (deviceUsed != tree.devicePages() + ownedDevicePages + deferredDevicePages) {
      throw new IllegalStateException("device pages used " + deviceUsed + " != tree " + tree.devicePages()
          + " + owned by requests " + ownedDevicePages + " + freed while copied " + deferredDevicePages);
    }
    if (deferredDevicePages != deviceFreeDeferred.cardinality()) throw new IllegalStateException("deferred device frees miscounted");
    int owned = 0;
    for (CacheRequest r : live) {
      owned += r.pageCount - r.treePages;
      if (r.lastNode.lockRef() <= 0 && !r.lastNode.isRoot()) throw new IllegalStateException("live request's node is not locked");
    }
    if (owned != ownedDevicePages) throw new IllegalStateException("requests own " + owned + " pages, counted " + ownedDevicePages);
    if (host != null) {
      int hostAllocated = host.capacity() - host.available();
      if (hostAllocated != hostUsed || hostUsed != tree.hostPages() + deferredHostPages + prefetchHostPages) {
        throw new IllegalStateException("host pages allocated " + hostAllocated + ", tracked " + hostUsed + ", in tree "
            + tree.hostPages() + " + freed while written " + deferredHostPages + " + owned by prefetch " + prefetchHostPages);
      }
      if (storage != null && storage.ownedHostPages() != prefetchHostPages) {
        throw new IllegalStateException("prefetch owns " + storage.ownedHostPages() + " host pages, controller counts " + prefetchHostPages);
      }
    }
    if (inflight.size() != backups.size() + loads.size()) throw new IllegalStateException("in-flight table out of step with the FIFOs");
    int wb = 0;
    for (BackupOp op : backups) {
      if (op.writeBack) wb += op.hostPages.length;
      else if (op.node.lockRef() <= 0) throw new IllegalStateException("write-through backup of an unlocked node");
      for (int hp : op.hostPages) {
        if (hostState[hp] != H_PENDING && hostState[hp] != H_PENDING_FREED) throw new IllegalStateException("in-flight backup page " + hp + " not pending");
      }
      for (int p : op.devicePages) if (deviceReaders[p] <= 0) throw new IllegalStateException("device page " + p + " read by a backup is unmarked");
    }
    if (wb != pendingWriteBackPages) throw new IllegalStateException("pending write-back pages " + pendingWriteBackPages + " != " + wb);
    int loading = 0;
    for (LoadOp op : loads) {
      if (op.lastNode.lockRef() <= 0) throw new IllegalStateException("in-flight load of an unlocked node");
      for (int p : op.devicePages) if (deviceLoadOp[p] != op.id) throw new IllegalStateException("device page " + p + " lost its load op");
      loading += op.devicePages.length;
    }
    int marked = 0;
    for (long op : deviceLoadOp) if (op != 0) marked++;
    if (marked != loading) throw new IllegalStateException(marked + " device pages marked loading, " + loading + " in loads");
  }
}
