package dev.hicache.core.tree;

import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.spi.Clock;
import dev.hicache.api.spi.EvictionCandidate;
import dev.hicache.api.spi.EvictionPolicy;
import dev.hicache.api.spi.WritePolicy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import dev.hicache.core.sim.MatchTouch;

/**
 * SGLang's HiRadixCache tree (docs/behaviour.md#radix-tree): a page-granular prefix tree whose
 * nodes hold device (L1) and host (L2) page ids, with per-tier protection counts and the eviction
 * order of a pluggable {@link EvictionPolicy}.
 *
 * <p>The tree is metadata only: it does no I/O, starts no threads and reads time only from the
 * {@link Clock} it is handed. It is single-threaded (the scheduler thread owns it).
 *
 * <p>Eviction candidates live in two ordered indexes kept up to date at every change instead of a
 * heap rebuilt per pass (SGLang collects all leaves each time): the unlocked device leaves and the
 * unprotected host-only leaves, both in the policy's order ({@link EvictionIndex}, a heap that
 * yields the smallest first, the only thing eviction asks for). A node is taken out of its index
 * before a field the order reads changes and put back after, so an eviction pass costs
 * O(evicted · log leaves).
 *
 * <p>Requests of different namespaces (docs/behaviour.md#namespaces) live in separate subtrees: the
 * root holds the default namespace's (the seed given here), and each other namespace gets a root of
 * its own, whose chains start from that namespace's seed, made on first use and dropped when its
 * subtree empties. Eviction stays one order over every subtree, unless a per-namespace quota is set
 * ({@link #namespaceQuota}).
 */
public final class HiRadixTree {
  private final int pageSize;
  private final EvictionPolicy policy;
  private final Clock clock;
  private final WritePolicy writePolicy;
  private final PageHasher hasher;
  private final PageKey namespaceSeed;
  private final MatchTouch matchTouch;
  private TreeObserver observer;
  private final int[] pageHashMultipliers;
  private final TreeNode root;
  private final EvictionIndex deviceIndex;
  private final EvictionIndex hostIndex;

  private long nextId;
  private int devicePageCount;
  private int protectedDevicePages;
  private int hostPageCount;
  private int pendingWriteBackPages;
  private int nodeCount;
  private TreeNode[] path = new TreeNode[64];

  /** The namespace of requests that carry none: the root's, seeded as the constructor says. */
  private final TreeNamespace defaultNamespace;
  /** Every other namespace with a root now, by seed, in the order they were made. */
  private final Map<PageKey, TreeNamespace> namespaces = new LinkedHashMap<>();
  /** The eviction order, for the indexes of namespaces made later. */
  private final Comparator<? super TreeNode> evictionOrder;

  private static final Comparator<TreeNode> LRU_ORDER = (a, b) -> {
    int c = Long.compare(a.lastAccessTime, b.lastAccessTime);
    return c != 0 ? c : Long.compare(a.id, b.id);
  };
  /** Per-namespace quota in pages (0: none); see {@link #namespaceQuota}. */
  private int deviceQuotaPages, hostQuotaPages;
  private boolean quota;
  /** The callers never modify a token array they inserted: new nodes may keep views of it ({@link #tokensUnmodified}). */
  private boolean tokensUnmodified;

  /**
   * @param hasherOrNull        null keeps no hash values (no L3); otherwise every new node gets its
   *                            page keys chained from its parent's last key
   *                            (docs/behaviour.md#where-chains-start)
   * @param namespaceSeedOrNull the prior of a chain that starts at the root
   *                            (docs/behaviour.md#namespaces), or null
   */
  public HiRadixTree(int pageSize, EvictionPolicy policy, Clock clock, WritePolicy writePolicy,
                     PageHasher hasherOrNull, PageKey namespaceSeedOrNull) {
    this(pageSize, policy, clock, writePolicy, hasherOrNull, namespaceSeedOrNull, MatchTouch.TRAVERSED);
  }

  /**
   * As {@link #HiRadixTree(int, EvictionPolicy, Clock, WritePolicy, PageHasher, PageKey)}, choosing
   * whether a match touches the unmatched remainder of a node it splits ({@link MatchTouch}).
   */
  public HiRadixTree(int pageSize, EvictionPolicy policy, Clock clock, WritePolicy writePolicy,
                     PageHasher hasherOrNull, PageKey namespaceSeedOrNull, MatchTouch matchTouch) {
    this.matchTouch = Objects.requireNonNull(matchTouch, "matchTouch");
    if (pageSize < 1) throw new IllegalArgumentException("pageSize must be >= 1, got " + pageSize);
    this.pageSize = pageSize;
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.writePolicy = Objects.requireNonNull(writePolicy, "writePolicy");
    if (hasherOrNull != null && hasherOrNull.pageSize() != pageSize) {
      throw new IllegalArgumentException("the page hasher's page size " + hasherOrNull.pageSize()
          + " differs from the tree's " + pageSize);
    }
    this.hasher = hasherOrNull;
    this.namespaceSeed = namespaceSeedOrNull;
    this.pageHashMultipliers = new int[pageSize];
    long s = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < pageSize; i++) {
      s += 0x9E3779B97F4A7C15L;
      long z = (s ^ (s >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      pageHashMultipliers[i] = (int) (z ^ (z >>> 31)) | 1;
    }
    // The id tie-break makes a user's order total even if it forgot to end with the id (equal
    // keys would otherwise look like one element to the ordered index).
    Comparator<EvictionCandidate> given = Objects.requireNonNull(policy.order(), "policy.order()");
    // The default LRU order, read from the nodes' fields: the indexes compare on every insert and
    // eviction, and the policy's comparator behind the tie-break wrapper is two interface calls and
    // four getters per comparison. The same order (LRU already ends with the id).
    Comparator<? super TreeNode> order = policy == BuiltinEvictionPolicy.LRU ? LRU_ORDER
        : given.thenComparing((a, b) -> Long.compare(a.id(), b.id()));
    this.deviceIndex = new EvictionIndex(order, EvictionIndex.DEVICE, order == LRU_ORDER);
    this.hostIndex = new EvictionIndex(order, EvictionIndex.HOST, order == LRU_ORDER);
    this.root = new TreeNode(nextId++, clock.nanos());
    root.keyArray = new int[0];
    root.value = new int[0];
    root.hostValue = new int[0];
    root.hashValue = new PageKey[0];
    root.lockRef = 1;
    root.priority = Integer.MIN_VALUE;
    this.evictionOrder = order;
    this.defaultNamespace = new TreeNamespace(namespaceSeedOrNull, root, null, null);
  }

  // ------------------------------------------------------------------------------------------
  // namespaces (docs/behaviour.md#namespaces)

  /**
   * The namespace of requests that carry {@code seed}: the default one (the root's) for null or the
   * tree's own seed, else the namespace's own root, made (and kept) now if it has none.
   */
  private TreeNamespace namespaceOf(PageKey seed) {
    TreeNamespace ns = namespaceIfPresent(seed);
    if (ns != null) return ns;
    ns = newNamespace(seed);
    namespaces.put(seed, ns);
    return ns;
  }

  /**
   * For a match, which changes nothing: the namespace's root, or, when it has none, a new empty
   * root the tree does not keep (unless a prefetch anchors on it: {@link #protectHost}).
   */
  private TreeNamespace namespaceForMatch(PageKey seed) {
    TreeNamespace ns = namespaceIfPresent(seed);
    return ns != null ? ns : newNamespace(seed);
  }

  private TreeNamespace newNamespace(PageKey seed) {
    TreeNode r = new TreeNode(nextId++, clock.nanos());
    r.keyArray = new int[0];
    r.value = new int[0];
    r.hostValue = new int[0];
    r.hashValue = new PageKey[0];
    r.lockRef = 1;
    r.priority = Integer.MIN_VALUE;
    return new TreeNamespace(seed, r, quota ? new EvictionIndex(evictionOrder, EvictionIndex.NAMESPACE_DEVICE, evictionOrder == LRU_ORDER) : null,
        quota ? new EvictionIndex(evictionOrder, EvictionIndex.NAMESPACE_HOST, evictionOrder == LRU_ORDER) : null);
  }

  /** A match's root that something now anchors on (a prefetch) is kept from here on. */
  private void keepRoot(TreeNode r) {
    TreeNamespace ns = r.namespace;
    TreeNamespace held = namespaceIfPresent(ns.seed);
    if (held == ns) return;
    if (held != null) {
      throw new IllegalStateException("namespace root " + r.id + " was replaced by root " + held.root.id
          + " since the match that returned it: match again");
    }
    namespaces.put(ns.seed, ns);
  }

  private TreeNamespace namespaceIfPresent(PageKey seed) {
    if (seed == null || seed.equals(defaultNamespace.seed)) return defaultNamespace;
    return namespaces.get(seed);
  }

  /**
   * A namespace root with nothing below it and no prefetch anchored on it goes: a cache that sees
   * many namespaces (one per user's cache_salt) keeps roots only for those that hold pages. A
   * request still holding the dropped root as its last node is unaffected: the root holds no page,
   * and its next insert finds (or makes) its namespace's root again.
   */
  private void dropIfEmpty(TreeNode r) {
    TreeNamespace ns = r.namespace;
    if (ns == defaultNamespace || r.childCount > 0 || r.hostRefCounter > 0) return;
    if (namespaces.get(ns.seed) == ns) namespaces.remove(ns.seed);
  }

  /**
   * Sets a per-namespace quota (docs/behaviour.md#namespaces): a namespace that holds more than
   * {@code devicePages} device pages (or {@code hostPages} host pages) with what it asks for
   * evicts its own pages first when it needs room ({@link #evictDevice(int, DeviceEvictionHandler,
   * PageKey, int)}, {@link #evictHost(int, Consumer, PageKey, int)}). Only while the tree is empty.
   */
  public void namespaceQuota(int devicePages, int hostPages) {
    if (devicePages < 1 || hostPages < 1) {
      throw new IllegalArgumentException("namespace quota must be at least one page per tier, got device "
          + devicePages + ", host " + hostPages);
    }
    if (nodeCount > 0 || !namespaces.isEmpty()) throw new IllegalStateException("a namespace quota is set before the tree holds anything");
    deviceQuotaPages = devicePages;
    hostQuotaPages = hostPages;
    quota = true;
    defaultNamespace.deviceIndex = new EvictionIndex(evictionOrder, EvictionIndex.NAMESPACE_DEVICE, evictionOrder == LRU_ORDER);
    defaultNamespace.hostIndex = new EvictionIndex(evictionOrder, EvictionIndex.NAMESPACE_HOST, evictionOrder == LRU_ORDER);
  }

  /**
   * The callers promise never to modify a token array after handing it to {@link #insert} or {@link
   * #insertHostOnly} (HiCache.Builder#promptsUnmodified): a new node then keeps a view of the array
   * instead of a copy of its span, when its span is at least half the array (so a node never holds
   * much more than its own tokens alive). Without the promise every new node copies its span.
   */
  public void tokensUnmodified() { tokensUnmodified = true; }

  /** Gives a new node the key {@code tokens[from .. to)}: a view or a copy ({@link #tokensUnmodified}). */
  private void setKey(TreeNode leaf, int[] tokens, int from, int to) {
    int n = to - from;
    if (tokensUnmodified && 2L * n >= tokens.length) {
      leaf.keyArray = tokens;
      leaf.keyFrom = from;
    } else {
      leaf.keyArray = Arrays.copyOfRange(tokens, from, to);
      leaf.keyFrom = 0;
    }
    leaf.keyTokens = n;
  }

  /** Namespaces with a root now, the default one included. */
  public int namespaceCount() { return 1 + namespaces.size(); }

  /** Every root: the default namespace's first, then the others' in the order they were made. */
  public List<TreeNode> roots() {
    List<TreeNode> out = new ArrayList<>(1 + namespaces.size());
    out.add(root);
    for (TreeNamespace ns : namespaces.values()) out.add(ns.root);
    return out;
  }

  /**
   * The root of the namespace of requests that carry {@code seed} (null: the default one), or null
   * when that namespace holds nothing now; changes nothing (for read-only walks such as hints').
   */
  public TreeNode namespaceRoot(PageKey seed) {
    TreeNamespace ns = namespaceIfPresent(seed);
    return ns == null ? null : ns.root;
  }

  /** Pages the namespace of {@code seed} holds in {@code tier} (device or host); 0 when it has no root. */
  public int namespacePages(PageKey seed, Tier tier) {
    TreeNamespace ns = namespaceIfPresent(seed);
    if (ns == null) return 0;
    return switch (tier) {
      case DEVICE -> ns.devicePages;
      case HOST -> ns.hostPages;
      case STORAGE -> throw new IllegalArgumentException("L3 is shared: ask the store what it holds");
    };
  }

  public int pageSize() { return pageSize; }

  /** Reports page moves between tiers from now on (docs/observability.md#kv-events); null = none. */
  public void observer(TreeObserver o) { observer = o; }

  public TreeNode root() { return root; }

  public EvictionPolicy policy() { return policy; }

  public WritePolicy writePolicy() { return writePolicy; }

  public MatchTouch matchTouch() { return matchTouch; }

  // ------------------------------------------------------------------------------------------
  // match

  /**
   * docs/behaviour.md#match: matches the first {@code floor(length / page_size)} pages of {@code
   * tokens}. A match that ends inside a node splits it; every traversed node is touched; no data
   * moves.
   */
  public MatchResult matchPrefix(int[] tokens, int length) {
    return matchPrefix(null, tokens, length);
  }

  /**
   * {@link #matchPrefix(int[], int)} in the subtree of the namespace seeded {@code ns} (null: the
   * default namespace): pages of other namespaces are never matched.
   */
  public MatchResult matchPrefix(PageKey ns, int[] tokens, int length) {
    TreeNode root = namespaceForMatch(ns).root;
    if (length < 0 || length > tokens.length) {
      throw new IllegalArgumentException("match length " + length + " outside the " + tokens.length + " tokens given");
    }
    int end = length / pageSize * pageSize;
    long now = clock.nanos();
    root.lastAccessTime = now;
    TreeNode node = root;
    int depth = 0;
    int pos = 0;
    while (pos < end) {
      TreeNode child = child(node, tokens, pos);
      if (child == null) break;
      int matched = matchedTokens(child, tokens, pos, end);
      boolean partial = matched < child.keyTokens;
      // The upper part of a split is a new node created at `now`; the remainder keeps the child.
      if (!partial || matchTouch == MatchTouch.TRAVERSED) touch(child, now);
      if (partial) child = split(child, matched / pageSize, now);
      if (depth == path.length) path = Arrays.copyOf(path, depth * 2);
      path[depth++] = child;
      node = child;
      pos += matched;
      if (partial) break;
    }
    // Device residency is ancestor-closed, so the device nodes are a prefix of the path.
    int devicePrefix = 0;
    int deviceNodes = 0;
    while (deviceNodes < depth && path[deviceNodes].value != null) devicePrefix += path[deviceNodes++].value.length;
    int[] device = new int[devicePrefix];
    int at = 0;
    for (int i = 0; i < deviceNodes; i++) {
      int[] v = path[i].value;
      System.arraycopy(v, 0, device, at, v.length);
      at += v.length;
      path[i] = null;
    }
    for (int i = deviceNodes; i < depth; i++) path[i] = null;
    int hostHit = 0;
    TreeNode lastDevice = node;
    while (lastDevice.value == null) {
      hostHit += lastDevice.hostValue.length;
      lastDevice = lastDevice.parent;
    }
    TreeNode lastHost = node;
    while (lastHost.hostValue == null) lastHost = lastHost.parent;
    return new MatchResult(device, lastDevice, lastHost, hostHit);
  }

  /**
   * Tokens of {@code node}'s key equal to {@code tokens[pos..end)}, rounded down to whole pages;
   * {@code node} is the child {@link #child} found for {@code tokens[pos..)}, so its first page
   * equals {@code tokens[pos, pos + pageSize)} already and only the rest is compared.
   */
  private int matchedTokens(TreeNode node, int[] tokens, int pos, int end) {
    int n = Math.min(node.keyTokens, end - pos);
    int from = node.keyFrom;
    int skip = n >= pageSize ? pageSize : 0;
    int mm = Arrays.mismatch(node.keyArray, from + skip, from + n, tokens, pos + skip, pos + n);
    return mm < 0 ? n : (mm + skip) / pageSize * pageSize;
  }

  // ------------------------------------------------------------------------------------------
  // insert

  /**
   * docs/behaviour.md#insert: inserts the page-aligned {@code tokens[0..length)} with one device
   * page per page. Evicted nodes on the path adopt the given device pages (not counted in the
   * returned prefix); device-resident ones count as the prefix whose duplicates the caller frees.
   *
   * @param priority raises the priority of every node on the path to at least this
   * @param chunked  an intermediate chunked-prefill insert: no hit counts
   */
  public InsertResult insert(int[] tokens, int length, int[] devicePages, int priority, boolean chunked) {
    return insert(tokens, length, devicePages, priority, chunked, null);
  }

  /**
   * {@link #insert(int[], int, int[], int, boolean)} with the page keys of {@code tokens} computed
   * beforehand: {@code pageKeys[p]} must be the key of page {@code p} of {@code tokens} chained from
   * the start of the sequence (from the namespace seed), exactly what {@link PageHasher#chain} gives.
   * New nodes take them instead of hashing their pages again; pages beyond {@code pageKeys.length}
   * are hashed here. Wrong keys are not detected here ({@link #checkInvariants()} re-hashes every chain).
   *
   * @param pageKeys may be null or shorter than the insert (the rest is hashed)
   */
  public InsertResult insert(int[] tokens, int length, int[] devicePages, int priority, boolean chunked,
                             PageKey[] pageKeys) {
    return insert(null, tokens, length, devicePages, priority, chunked, pageKeys);
  }

  /**
   * {@link #insert(int[], int, int[], int, boolean, PageKey[])} into the subtree of the namespace
   * seeded {@code ns} (null: the default namespace); {@code pageKeys} are then chained from that seed.
   */
  public InsertResult insert(PageKey ns, int[] tokens, int length, int[] devicePages, int priority, boolean chunked,
                             PageKey[] pageKeys) {
    TreeNode root = namespaceOf(ns).root;
    if (length < 0 || length > tokens.length || length % pageSize != 0) {
      throw new IllegalArgumentException("insert length " + length + " must be a multiple of the page size "
          + pageSize + " within the " + tokens.length + " tokens given");
    }
    if (devicePages.length != length / pageSize) {
      throw new IllegalArgumentException("insert of " + length / pageSize + " pages got "
          + devicePages.length + " device pages");
    }
    long now = clock.nanos();
    root.lastAccessTime = now;
    TreeNode node = root;
    int pos = 0;
    int prefixPages = 0;
    List<TreeNode> needBackup = null;
    while (pos < length) {
      TreeNode child = child(node, tokens, pos);
      if (child == null) break;
      touch(child, now);
      raisePriority(child, priority);
      int matched = matchedTokens(child, tokens, pos, length);
      if (matched < child.keyTokens) child = split(child, matched / pageSize, now);
      int firstPage = pos / pageSize;
      if (child.value == null) {
        // Recomputation of a host-only span: adopt the fresh device KV, keep the host copy.
        attachValue(child, Arrays.copyOfRange(devicePages, firstPage, firstPage + matched / pageSize));
      } else {
        prefixPages += matched / pageSize;
        needBackup = incHitCount(child, chunked, needBackup);
      }
      node = child;
      pos += matched;
    }
    if (pos < length) {
      TreeNode leaf = new TreeNode(nextId++, now);
      leaf.parent = node;
      setKey(leaf, tokens, pos, length);
      leaf.value = Arrays.copyOfRange(devicePages, pos / pageSize, length / pageSize);
      leaf.priority = priority;
      leaf.namespace = node.namespace;
      leaf.childKeyHash = pageHash(leaf.keyArray, leaf.keyFrom);
      if (hasher != null) leaf.hashValue = chainHashes(node, leaf, pageKeys, pos / pageSize);
      node.addChild(leaf);
      nodeCount++;
      devicePageCount += leaf.value.length;
      leaf.namespace.devicePages += leaf.value.length;
      deviceGain(node);
      if (observer != null) observer.stored(Tier.DEVICE, leaf);
      if (!writePolicy.writeBack()) needBackup = incHitCount(leaf, chunked, needBackup);
      reindex(leaf);
    }
    dropIfEmpty(root); // an empty insert keeps no namespace root
    return new InsertResult(prefixPages, needBackup == null ? List.of() : needBackup);
  }

  /**
   * The keys of a new node's pages ({@code key} is the sequence's pages from {@code firstPage} on):
   * taken from {@code given} (the sequence's keys computed beforehand) where it has them, hashed
   * from the parent's last key otherwise.
   */
  private PageKey[] chainHashes(TreeNode parent, TreeNode leaf, PageKey[] given, int firstPage) {
    PageKey[] out = new PageKey[leaf.keyTokens / pageSize];
    int p = 0;
    if (given != null && firstPage < given.length) {
      p = Math.min(out.length, given.length - firstPage);
      System.arraycopy(given, firstPage, out, 0, p);
      if (p == out.length) return out;
    }
    PageKey prior;
    if (p > 0) {
      prior = out[p - 1];
    } else if (parent.isRoot()) {
      prior = parent.namespace.seed;
    } else {
      if (parent.hashValue == null) throw new IllegalStateException("node " + parent.id + " has no hash values");
      prior = parent.lastHashValue();
    }
    for (; p < out.length; p++) {
      prior = hasher.hashPage(prior, leaf.keyArray, leaf.keyFrom + p * pageSize);
      out[p] = prior;
    }
    return out;
  }

  private List<TreeNode> incHitCount(TreeNode node, boolean chunked, List<TreeNode> needBackup) {
    if (writePolicy.writeBack() || chunked) return needBackup;
    boolean d = unindex(node);
    node.hitCount++;
    reindexAfter(node, d);
    if (node.hostValue == null && node.hitCount >= writePolicy.writeThroughThreshold()) {
      if (needBackup == null) needBackup = new ArrayList<>(4);
      needBackup.add(node);
    }
    return needBackup;
  }

  /**
   * docs/behaviour.md#prefetch-termination, step 3 ({@code _insert_helper_host}): below {@code
   * anchor}, inserts {@code tokens[from..from+length)} as host-only nodes with one host page and
   * one page key per page. Where the tree already holds a prefix of it, walks (and splits) past it;
   * those pages are the {@link HostInsertResult#matchedPages() duplicates} the caller frees.
   *
   * @param hashes the span's page keys (kept when the tree keeps hashes; may be null otherwise)
   */
  public HostInsertResult insertHostOnly(TreeNode anchor, int[] tokens, int from, int length,
                                         int[] hostPages, PageKey[] hashes) {
    requireLive(anchor, "insertHostOnly");
    if (anchor.isRoot() && namespaceIfPresent(anchor.namespace.seed) != anchor.namespace) {
      throw new IllegalStateException("insertHostOnly: anchor " + anchor.id + " is a namespace root the tree no longer"
          + " holds; protect the anchor (protectHost) until the insert");
    }
    if (from < 0 || length < 0 || from + length > tokens.length || length % pageSize != 0) {
      throw new IllegalArgumentException("host insert of tokens [" + from + ", " + (from + length)
          + ") must be page-aligned (page size " + pageSize + ") within the " + tokens.length + " tokens given");
    }
    int pages = length / pageSize;
    if (hostPages.length != pages) {
      throw new IllegalArgumentException("host insert of " + pages + " pages got " + hostPages.length + " host pages");
    }
    if (hasher != null && (hashes == null || hashes.length != pages)) {
      throw new IllegalArgumentException("host insert of " + pages + " pages got "
          + (hashes == null ? "no" : hashes.length) + " page keys");
    }
    long now = clock.nanos();
    touch(anchor, now);
    TreeNode node = anchor;
    int pos = from;
    int end = from + length;
    int matchedPages = 0;
    while (pos < end) {
      TreeNode child = child(node, tokens, pos);
      if (child == null) break;
      touch(child, now);
      int matched = matchedTokens(child, tokens, pos, end);
      if (matched < child.keyTokens) child = split(child, matched / pageSize, now);
      matchedPages += matched / pageSize;
      pos += matched;
      node = child;
    }
    if (pos == end) return new HostInsertResult(matchedPages, node);
    TreeNode leaf = new TreeNode(nextId++, now);
    leaf.parent = node;
    setKey(leaf, tokens, pos, end);
    int firstPage = (pos - from) / pageSize;
    leaf.hostValue = Arrays.copyOfRange(hostPages, firstPage, pages);
    if (hasher != null) leaf.hashValue = Arrays.copyOfRange(hashes, firstPage, pages);
    leaf.childKeyHash = pageHash(leaf.keyArray, leaf.keyFrom);
    // SGLang's host insert gives the new node its parent's priority; the root's is a sentinel
    // below every request's, so under the root the request default 0 is kept
    // (docs/behaviour.md#prefetch-termination).
    leaf.priority = node.isRoot() ? 0 : node.priority;
    leaf.namespace = node.namespace;
    node.addChild(leaf);
    nodeCount++;
    hostPageCount += leaf.hostValue.length;
    leaf.namespace.hostPages += leaf.hostValue.length;
    reindex(node);
    reindex(leaf);
    if (observer != null) observer.stored(Tier.HOST, leaf);
    return new HostInsertResult(matchedPages, leaf);
  }

  // ------------------------------------------------------------------------------------------
  // split

  /**
   * docs/behaviour.md#split: a new node takes the first {@code splitPages} pages of {@code child}
   * and its place under the parent; the child keeps the rest (and its identity) below it. Hashes
   * are split, never recomputed.
   */
  private TreeNode split(TreeNode child, int splitPages, long now) {
    int splitTokens = splitPages * pageSize;
    TreeNode parent = child.parent;
    TreeNode upper = new TreeNode(nextId++, now);
    upper.parent = parent;
    // Both parts keep views of the child's array: a split copies no tokens.
    upper.keyArray = child.keyArray;
    upper.keyFrom = child.keyFrom;
    upper.keyTokens = splitTokens;
    upper.childKeyHash = child.childKeyHash;
    upper.lockRef = child.lockRef;
    upper.hitCount = child.hitCount;
    upper.priority = child.priority;
    upper.namespace = child.namespace;
    if (child.value != null) {
      upper.value = Arrays.copyOfRange(child.value, 0, splitPages);
      child.value = Arrays.copyOfRange(child.value, splitPages, child.value.length);
      // The upper part of a pending write-back is not pending: it keeps a device child.
      if (child.writeBackPending) pendingWriteBackPages -= splitPages;
    }
    if (child.hostValue != null) {
      upper.hostValue = Arrays.copyOfRange(child.hostValue, 0, splitPages);
      child.hostValue = Arrays.copyOfRange(child.hostValue, splitPages, child.hostValue.length);
    }
    if (child.hashValue != null) {
      upper.hashValue = Arrays.copyOfRange(child.hashValue, 0, splitPages);
      child.hashValue = Arrays.copyOfRange(child.hashValue, splitPages, child.hashValue.length);
    }
    child.keyFrom += splitTokens;
    child.keyTokens -= splitTokens;
    parent.replaceChild(child, upper);
    child.parent = upper;
    child.childKeyHash = pageHash(child.keyArray, child.keyFrom);
    upper.addChild(child);
    upper.deviceChildCount = child.value != null ? 1 : 0;
    nodeCount++;
    // The child's order fields are unchanged, so its index position stays valid; the upper node
    // has a child, so it is no leaf in either index.
    return upper;
  }

  // ------------------------------------------------------------------------------------------
  // locks and protection

  /**
   * docs/behaviour.md#locks-and-host-protection, {@code inc_lock_ref}: locks {@code node} and its
   * ancestors (root excluded). Device pages of nodes going 0 -> 1 move from evictable to protected.
   *
   * @return minus the pages newly protected
   */
  public int incLockRef(TreeNode node) {
    requireLive(node, "incLockRef");
    int delta = 0;
    for (TreeNode n = node; n.parent != null; n = n.parent) {
      if (n.lockRef == 0) {
        if (n.value != null) {
          protectedDevicePages += n.value.length;
          delta -= n.value.length;
        }
        // A request now uses the node: its write-back eviction is called off.
        if (n.writeBackPending) cancelWriteBack(n);
      }
      n.lockRef++;
      reindex(n);
    }
    return delta;
  }

  /**
   * docs/behaviour.md#locks-and-host-protection, {@code dec_lock_ref}: the inverse of {@link
   * #incLockRef}.
   *
   * @return the pages that became evictable (>= 0)
   * @throws IllegalStateException if a lock count on the path is already 0 (nothing changes)
   */
  public int decLockRef(TreeNode node) {
    requireLive(node, "decLockRef");
    for (TreeNode n = node; n.parent != null; n = n.parent) {
      if (n.lockRef <= 0) {
        throw new IllegalStateException("decLockRef: node " + n.id + " on the path of node " + node.id
            + " has lock_ref " + n.lockRef + "; a lock was released twice");
      }
    }
    int delta = 0;
    for (TreeNode n = node; n.parent != null; n = n.parent) {
      n.lockRef--;
      if (n.lockRef == 0 && n.value != null) {
        protectedDevicePages -= n.value.length;
        delta += n.value.length;
      }
      reindex(n);
    }
    if (node.isRoot()) dropIfEmpty(node);
    return delta;
  }

  /** {@code protect_host}: the node's host copy may not be evicted until released. */
  public void protectHost(TreeNode node) {
    requireLive(node, "protectHost");
    if (node.isRoot()) keepRoot(node);
    node.hostRefCounter++;
    reindex(node);
  }

  /** {@code release_host}; releasing a node that is not protected is an error. */
  public void releaseHost(TreeNode node) {
    requireLive(node, "releaseHost");
    if (node.hostRefCounter <= 0) {
      throw new IllegalStateException("releaseHost: node " + node.id + " has host_ref_counter "
          + node.hostRefCounter + "; it was released more often than protected");
    }
    node.hostRefCounter--;
    reindex(node);
    if (node.isRoot()) dropIfEmpty(node);
  }

  /**
   * {@code write_backup} (docs/behaviour.md#write-policies): the node counts as backuped from now
   * on (SGLang sets {@code host_value} when the device-to-host copy is issued).
   */
  public void setBackuped(TreeNode node, int[] hostPages) {
    requireLive(node, "setBackuped");
    if (node.isRoot()) throw new IllegalArgumentException("setBackuped: the root holds no pages");
    if (node.hostValue != null) throw new IllegalStateException("setBackuped: node " + node.id + " is already backuped");
    if (hostPages.length != node.pages()) {
      throw new IllegalArgumentException("setBackuped: node " + node.id + " has " + node.pages()
          + " pages, got " + hostPages.length + " host pages");
    }
    node.hostValue = hostPages.clone();
    hostPageCount += node.hostValue.length;
    node.namespace.hostPages += node.hostValue.length;
    reindex(node);
    if (observer != null) observer.stored(Tier.HOST, node);
  }

  // ------------------------------------------------------------------------------------------
  // eviction

  /**
   * docs/behaviour.md#device-eviction: evicts at least {@code pages} device pages (or as many as
   * possible) in policy order among the unlocked device leaves. Backuped nodes become host-only
   * with their subtree kept; under write_back a node that is not backuped is handed to {@link
   * DeviceEvictionHandler#startWriteBack}; every other node is deleted.
   *
   * @return pages evicted, write-back-pending pages included
   */
  public int evictDevice(int pages, DeviceEvictionHandler handler) {
    return evictDevice(pages, handler, null, 0, false);
  }

  /**
   * {@link #evictDevice(int, DeviceEvictionHandler)} for a request of the namespace seeded {@code
   * ns} that asks for {@code asking} device pages: with a quota ({@link #namespaceQuota}), while
   * the namespace's device pages plus {@code asking} exceed it, its own leaves go first (in the
   * policy's order); then every namespace's, in one order. Without a quota, the same as the
   * two-argument form.
   */
  public int evictDevice(int pages, DeviceEvictionHandler handler, PageKey ns, int asking) {
    return evictDevice(pages, handler, ns, asking, true);
  }

  private int evictDevice(int pages, DeviceEvictionHandler handler, PageKey ns, int asking, boolean namespaced) {
    Objects.requireNonNull(handler, "handler");
    TreeNamespace own = quota && namespaced ? namespaceIfPresent(ns) : null;
    int ownHeld = own == null ? 0 : own.devicePages;
    int evicted = 0;
    List<TreeNode> skipped = null;
    while (evicted < pages) {
      TreeNode x = pollDevice(own != null && ownHeld + asking > deviceQuotaPages ? own : null);
      if (x == null) break;
      x.inDeviceIndex = false;
      int n = x.value.length;
      if (x.namespace == own) ownHeld -= n;
      if (x.hostValue == null && writePolicy.writeBack()) {
        boolean started = handler.startWriteBack(x);
        // The handler may have called back (setBackuped re-indexes the node): take it out again.
        unindex(x);
        if (started) {
          x.writeBackPending = true;
          x.writeBackInFlight = true;
          pendingWriteBackPages += n;
          evicted += n;
          continue;
        }
      }
      if (x.hostValue != null) {
        evictBackupedNow(x, handler);
        evicted += n;
      } else if (x.childCount > 0) {
        // Deleting it would orphan host-only children (and leak their host pages): keep it.
        if (x.namespace == own) ownHeld += n;
        if (skipped == null) skipped = new ArrayList<>();
        skipped.add(x);
      } else {
        evictRegular(x, handler);
        evicted += n;
      }
    }
    if (skipped != null) for (TreeNode s : skipped) reindex(s);
    return evicted;
  }

  /** The first device candidate of {@code own}'s order when given and it has one, else of the global order; out of both indexes. */
  private TreeNode pollDevice(TreeNamespace own) {
    TreeNode x = own == null ? null : own.deviceIndex.pollFirst();
    if (x != null) {
      if (!deviceIndex.remove(x)) throw indexBroken(x, "device");
      return x;
    }
    x = deviceIndex.pollFirst();
    if (x != null && quota && !x.namespace.deviceIndex.remove(x)) throw indexBroken(x, "namespace device");
    return x;
  }

  /** As {@link #pollDevice}, for host-only leaves. */
  private TreeNode pollHost(TreeNamespace own) {
    TreeNode x = own == null ? null : own.hostIndex.pollFirst();
    if (x != null) {
      if (!hostIndex.remove(x)) throw indexBroken(x, "host");
      return x;
    }
    x = hostIndex.pollFirst();
    if (x != null && quota && !x.namespace.hostIndex.remove(x)) throw indexBroken(x, "namespace host");
    return x;
  }

  /**
   * write_back completion: the node's device-to-host copy is acknowledged; applies {@code
   * _evict_backuped} if its eviction still stands.
   *
   * @return true when the node left the device; false when its eviction was called off meanwhile
   *     (it was locked or gained a device child): it stays on the device, now an ordinary backuped
   *     node, and its pages may be evicted from now on. Also false for a node with no copy in flight.
   * @throws IllegalStateException if the node is still not backuped
   */
  public boolean evictBackuped(TreeNode node, DeviceEvictionHandler handler) {
    requireLive(node, "evictBackuped");
    if (!node.writeBackInFlight) return false;
    if (node.hostValue == null) {
      throw new IllegalStateException("evictBackuped: node " + node.id
          + " is not backuped; call setBackuped when its copy is issued");
    }
    node.writeBackInFlight = false;
    if (!node.writeBackPending) {
      reindex(node);
      return false;
    }
    evictBackupedNow(node, handler);
    return true;
  }

  /**
   * Evicts one node's device pages now, outside the policy order (for instance the pages of a
   * load-back whose copy failed, which must not be served). Only a backuped, unlocked node with no
   * device-resident child and no write-back copy in flight qualifies: it becomes host-only, as
   * {@code _evict_backuped} leaves it.
   *
   * @return the pages freed, or 0 when the node does not qualify (then nothing changes)
   */
  public int evictDeviceNode(TreeNode node, DeviceEvictionHandler handler) {
    requireLive(node, "evictDeviceNode");
    Objects.requireNonNull(handler, "handler");
    if (node.isRoot() || node.value == null || node.hostValue == null || node.lockRef > 0
        || node.deviceChildCount > 0 || node.writeBackInFlight) {
      return 0;
    }
    int n = node.value.length;
    evictBackupedNow(node, handler);
    return n;
  }

  /** {@code _evict_backuped}: the node stays, host-only. */
  private void evictBackupedNow(TreeNode x, DeviceEvictionHandler handler) {
    unindex(x);
    int[] v = x.value;
    if (observer != null) observer.removed(Tier.DEVICE, x);
    x.value = null;
    devicePageCount -= v.length;
    x.namespace.devicePages -= v.length;
    if (x.writeBackPending) {
      x.writeBackPending = false;
      pendingWriteBackPages -= v.length;
    }
    TreeNode p = x.parent;
    p.deviceChildCount--;
    reindex(p);
    reindex(x);
    handler.freeDevicePages(v);
  }

  /** {@code _evict_regular}: frees the device pages and deletes the childless node. */
  private void evictRegular(TreeNode x, DeviceEvictionHandler handler) {
    unindex(x);
    int[] v = x.value;
    TreeNode p = x.parent;
    if (observer != null) {
      observer.removed(Tier.DEVICE, x);
      if (x.hostValue != null) observer.removed(Tier.HOST, x);
    }
    p.removeChild(x);
    p.deviceChildCount--;
    x.removed = true;
    nodeCount--;
    devicePageCount -= v.length;
    x.namespace.devicePages -= v.length;
    reindex(p);
    if (p.isRoot()) dropIfEmpty(p);
    handler.freeDevicePages(v);
  }

  /**
   * docs/behaviour.md#host-eviction: removes host-only leaves that nothing protects, in policy
   * order, until {@code pages} host pages are freed (or none is left).
   *
   * @return host pages freed
   */
  public int evictHost(int pages, Consumer<int[]> freeHostPages) {
    return evictHost(pages, freeHostPages, null, 0, false);
  }

  /**
   * {@link #evictHost(int, Consumer)} for the namespace seeded {@code ns} asking for {@code asking}
   * host pages: with a quota, while the namespace's host pages plus {@code asking} exceed it, its
   * own host-only leaves go first; then every namespace's, in one order.
   */
  public int evictHost(int pages, Consumer<int[]> freeHostPages, PageKey ns, int asking) {
    return evictHost(pages, freeHostPages, ns, asking, true);
  }

  private int evictHost(int pages, Consumer<int[]> freeHostPages, PageKey ns, int asking, boolean namespaced) {
    Objects.requireNonNull(freeHostPages, "freeHostPages");
    TreeNamespace own = quota && namespaced ? namespaceIfPresent(ns) : null;
    int freed = 0;
    while (freed < pages) {
      TreeNode x = pollHost(own != null && own.hostPages + asking > hostQuotaPages ? own : null);
      if (x == null) break;
      x.inHostIndex = false;
      int[] hv = x.hostValue;
      TreeNode p = x.parent;
      if (observer != null) observer.removed(Tier.HOST, x);
      p.removeChild(x);
      x.removed = true;
      nodeCount--;
      hostPageCount -= hv.length;
      x.namespace.hostPages -= hv.length;
      reindex(p);
      if (p.isRoot()) dropIfEmpty(p);
      freed += hv.length;
      freeHostPages.accept(hv);
    }
    return freed;
  }

  // ------------------------------------------------------------------------------------------
  // load back

  /**
   * docs/behaviour.md#load-back, first step: the evicted nodes from {@code node} up to the first
   * device-resident ancestor, top-down; empty when {@code node} is on the device.
   */
  public List<TreeNode> evictedChain(TreeNode node) {
    requireLive(node, "evictedChain");
    if (node.value != null) return List.of();
    ArrayList<TreeNode> chain = new ArrayList<>();
    for (TreeNode n = node; n.value == null; n = n.parent) chain.add(n);
    Collections.reverse(chain);
    return chain;
  }

  /**
   * docs/behaviour.md#load-back, last step: gives the chain (top-down, as {@link #evictedChain}
   * returned it) the loaded device pages in order; its nodes become device+host and evictable.
   */
  public void attachDevicePages(List<TreeNode> chain, int[] devicePages) {
    int total = 0;
    TreeNode expectedParent = null;
    for (TreeNode n : chain) {
      requireLive(n, "attachDevicePages");
      if (n.value != null) throw new IllegalArgumentException("attachDevicePages: node " + n.id + " is on the device");
      if (expectedParent == null) {
        if (n.parent.value == null) {
          throw new IllegalArgumentException("attachDevicePages: the chain's top node " + n.id
              + " has an evicted parent; pass evictedChain(node)");
        }
      } else if (n.parent != expectedParent) {
        throw new IllegalArgumentException("attachDevicePages: node " + n.id + " is not the child of node "
            + expectedParent.id + "; pass the chain top-down");
      }
      expectedParent = n;
      total += n.hostValue.length;
    }
    if (total != devicePages.length) {
      throw new IllegalArgumentException("attachDevicePages: the chain holds " + total + " pages, got "
          + devicePages.length + " device pages");
    }
    int at = 0;
    for (TreeNode n : chain) {
      int len = n.hostValue.length;
      attachValue(n, Arrays.copyOfRange(devicePages, at, at + len));
      at += len;
    }
  }

  /** An evicted node gets device pages again; its parent is device-resident. */
  private void attachValue(TreeNode n, int[] pages) {
    n.value = pages;
    devicePageCount += pages.length;
    n.namespace.devicePages += pages.length;
    if (n.lockRef > 0) protectedDevicePages += pages.length;
    deviceGain(n.parent);
    reindex(n);
    if (observer != null) observer.stored(Tier.DEVICE, n);
  }

  private void deviceGain(TreeNode parent) {
    parent.deviceChildCount++;
    // A pending write-back whose node gains a device child must stay: device residency is
    // ancestor-closed.
    if (parent.writeBackPending) cancelWriteBack(parent);
    reindex(parent);
  }

  private void cancelWriteBack(TreeNode n) {
    n.writeBackPending = false;
    pendingWriteBackPages -= n.value.length;
  }

  // ------------------------------------------------------------------------------------------
  // ordered eviction indexes

  private boolean deviceCandidate(TreeNode n) {
    return n.parent != null && !n.removed && n.value != null && !n.writeBackPending && !n.writeBackInFlight
        && n.lockRef == 0 && n.deviceChildCount == 0;
  }

  private boolean hostCandidate(TreeNode n) {
    return n.parent != null && !n.removed && n.value == null && n.childCount == 0 && n.hostRefCounter == 0
        && n.lockRef == 0;
  }

  /** Puts the node into (or takes it out of) the indexes its current state calls for. */
  private void reindex(TreeNode n) {
    boolean d = deviceCandidate(n);
    if (d != n.inDeviceIndex) {
      if (!(d ? deviceIndex.add(n) : deviceIndex.remove(n))) throw indexBroken(n, "device");
      if (quota && !(d ? n.namespace.deviceIndex.add(n) : n.namespace.deviceIndex.remove(n))) throw indexBroken(n, "namespace device");
      n.inDeviceIndex = d;
    }
    boolean h = hostCandidate(n);
    if (h != n.inHostIndex) {
      if (!(h ? hostIndex.add(n) : hostIndex.remove(n))) throw indexBroken(n, "host");
      if (quota && !(h ? n.namespace.hostIndex.add(n) : n.namespace.hostIndex.remove(n))) throw indexBroken(n, "namespace host");
      n.inHostIndex = h;
    }
  }

  private IllegalStateException indexBroken(TreeNode n, String which) {
    return new IllegalStateException("the " + which + " eviction index lost node " + n.id
        + ": the policy's order (" + policy.flagName() + ") changed for a node while it was indexed");
  }

  /** Takes the node out of both indexes before a field their order reads changes. */
  private boolean unindex(TreeNode n) {
    boolean was = n.inDeviceIndex || n.inHostIndex;
    if (n.inDeviceIndex) {
      if (!deviceIndex.remove(n)) throw indexBroken(n, "device");
      if (quota && !n.namespace.deviceIndex.remove(n)) throw indexBroken(n, "namespace device");
      n.inDeviceIndex = false;
    }
    if (n.inHostIndex) {
      if (!hostIndex.remove(n)) throw indexBroken(n, "host");
      if (quota && !n.namespace.hostIndex.remove(n)) throw indexBroken(n, "namespace host");
      n.inHostIndex = false;
    }
    return was;
  }

  private void reindexAfter(TreeNode n, boolean wasIndexed) {
    if (wasIndexed) reindex(n);
  }

  private void touch(TreeNode n, long now) {
    if (n.lastAccessTime == now) return;
    boolean d = unindex(n);
    n.lastAccessTime = now;
    reindexAfter(n, d);
  }

  private void raisePriority(TreeNode n, int priority) {
    if (priority <= n.priority) return;
    boolean d = unindex(n);
    n.priority = priority;
    reindexAfter(n, d);
  }

  /** The child of {@code node} whose first page is {@code tokens[pos .. pos+pageSize)}, or null. */
  private TreeNode child(TreeNode node, int[] tokens, int pos) {
    TreeNode[] slots = node.childSlots;
    // Most nodes have one child (a conversation's turns form a chain): compare its first page
    // directly instead of hashing the query's page.
    if (node.childCount == 1 && slots.length <= 4) {
      for (TreeNode c : slots) {
        if (c != null) {
          int f = c.keyFrom;
          return Arrays.equals(c.keyArray, f, f + pageSize, tokens, pos, pos + pageSize) ? c : null;
        }
      }
    }
    if (node.childCount == 0) return null;
    return node.findChild(tokens, pos, pageHash(tokens, pos), pageSize);
  }

  /** The child key: a hash of one page of tokens, verified in full on lookup. */
  int pageHash(int[] tokens, int from) {
    int[] m = pageHashMultipliers;
    int h = 0;
    for (int i = 0; i < m.length; i++) h += tokens[from + i] * m[i];
    h *= 0x9E3779B9;
    return h ^ (h >>> 15);
  }

  private static void requireLive(TreeNode node, String op) {
    Objects.requireNonNull(node, op + ": node");
    if (node.removed) throw new IllegalStateException(op + ": node " + node.id + " was evicted from the tree");
  }

  // ------------------------------------------------------------------------------------------
  // accounting

  /** Pages on the device (value != null), root excluded; write-back-pending pages included. */
  public int devicePages() { return devicePageCount; }

  /** Device pages in nodes with lock_ref == 0. */
  public int evictableDevicePages() { return devicePageCount - protectedDevicePages; }

  /** Device pages in nodes with lock_ref > 0. */
  public int protectedDevicePages() { return protectedDevicePages; }

  /** Pages with a host copy (host_value != null), root excluded. */
  public int hostPages() { return hostPageCount; }

  /** Device pages already counted as evicted, waiting for their write-back copy. */
  public int pendingWriteBackPages() { return pendingWriteBackPages; }

  /** Nodes, root excluded. */
  public int nodeCount() { return nodeCount; }

  /** Device leaves an eviction could take now (unlocked, not pending). */
  public int evictableDeviceLeaves() { return deviceIndex.size(); }

  /** Host-only leaves a host eviction could take now (nothing protects them). */
  public int evictableHostLeaves() { return hostIndex.size(); }

  /** Pages from the root to the end of {@code node}'s span. */
  public int prefixPages(TreeNode node) {
    int pages = 0;
    for (TreeNode n = node; n.parent != null; n = n.parent) pages += n.keyTokens / pageSize;
    return pages;
  }

  /** {@code get_prefix_hash_values}: the page keys from the root to the end of {@code node}. */
  public List<PageKey> prefixHashValues(TreeNode node) {
    ArrayList<PageKey[]> parts = new ArrayList<>();
    int total = 0;
    for (TreeNode n = node; n.parent != null; n = n.parent) {
      if (n.hashValue == null) throw new IllegalStateException("node " + n.id + " has no hash values");
      parts.add(n.hashValue);
      total += n.hashValue.length;
    }
    ArrayList<PageKey> out = new ArrayList<>(total);
    for (int i = parts.size() - 1; i >= 0; i--) out.addAll(Arrays.asList(parts.get(i)));
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // invariants

  /**
   * Checks every structural invariant in O(nodes); for tests. Throws {@link
   * IllegalStateException} describing the first broken one.
   */
  public void checkInvariants() {
    if (root.parent != null || root.value == null || root.value.length != 0 || root.hostValue == null
        || root.hostValue.length != 0 || root.lockRef != 1 || root.keyTokens != 0) {
      fail("root", root, "the root must have an empty key, empty value and host value, and lock_ref 1");
    }
    // Per namespace: {device pages, host pages, device leaves, host leaves} found in its subtree.
    Map<TreeNamespace, int[]> perNamespace = new IdentityHashMap<>();
    perNamespace.put(defaultNamespace, new int[4]);
    if (root.namespace != defaultNamespace) fail("namespace", root, "the root is not the default namespace's");
    for (Map.Entry<PageKey, TreeNamespace> e : namespaces.entrySet()) {
      TreeNamespace ns = e.getValue();
      TreeNode r = ns.root;
      if (ns.seed == null || !ns.seed.equals(e.getKey()) || ns.seed.equals(defaultNamespace.seed) || r.namespace != ns) {
        fail("namespace", r, "is filed under a seed that is not its own, or the default one");
      }
      if (r.parent != null || r.removed || r.value == null || r.value.length != 0 || r.hostValue == null
          || r.hostValue.length != 0 || r.lockRef != 1 || r.keyTokens != 0) {
        fail("namespace root", r, "a namespace root must look like the root: empty key, value and host value, lock_ref 1");
      }
      if (r.childCount == 0 && r.hostRefCounter == 0) {
        fail("namespace root", r, "holds nothing and anchors no prefetch, yet was kept");
      }
      perNamespace.put(ns, new int[4]);
    }
    int dev = 0, prot = 0, host = 0, pending = 0, nodes = 0, devLeaves = 0, hostLeaves = 0;
    ArrayDeque<TreeNode> stack = new ArrayDeque<>();
    for (TreeNode r : roots()) stack.push(r);
    while (!stack.isEmpty()) {
      TreeNode n = stack.pop();
      int childCount = 0, deviceChildren = 0;
      long childLocks = 0;
      for (TreeNode c : n.childSlots) {
        if (c == null) continue;
        childCount++;
        if (c.parent != n) fail("parent link", c, "its parent is not node " + n.id);
        if (c.namespace != n.namespace) fail("namespace", c, "is not in its parent's namespace");
        if (c.value != null) deviceChildren++;
        childLocks += c.lockRef;
        stack.push(c);
      }
      if (childCount != n.childCount) fail("child count", n, "counts " + n.childCount + " children, has " + childCount);
      if (deviceChildren != n.deviceChildCount) {
        fail("device child count", n, "counts " + n.deviceChildCount + " device children, has " + deviceChildren);
      }
      if (n.parent != null && n.lockRef < childLocks) {
        fail("lock counts", n, "lock_ref " + n.lockRef + " is below its children's total " + childLocks);
      }
      if (n.removed) fail("removed", n, "is still reachable");
      if (n.parent == null) continue;
      nodes++;
      int[] mine = perNamespace.get(n.namespace);
      if (mine == null) fail("namespace", n, "belongs to a namespace the tree does not hold");
      int pages = n.keyTokens / pageSize;
      if (pages < 1 || n.keyTokens % pageSize != 0) fail("page alignment", n, "has " + n.keyTokens + " tokens");
      if (n.keyFrom < 0 || n.keyFrom + n.keyTokens > n.keyArray.length) {
        fail("key", n, "spans [" + n.keyFrom + ", " + (n.keyFrom + n.keyTokens) + ") of an array of " + n.keyArray.length);
      }
      if (n.value == null && n.hostValue == null) fail("residency", n, "has neither device nor host pages");
      if (n.value != null && n.value.length != pages) fail("value length", n, n.value.length + " device pages");
      if (n.hostValue != null && n.hostValue.length != pages) fail("host value length", n, n.hostValue.length + " host pages");
      if (n.value != null && n.parent.value == null) fail("device residency", n, "is on the device below an evicted parent");
      if (n.lockRef < 0 || n.hostRefCounter < 0) fail("lock counts", n, "has a negative count");
      if (n.childKeyHash != pageHash(n.keyArray, n.keyFrom)) fail("child key", n, "has a stale child key hash");
      if (n.parent.findChild(n.keyArray, n.keyFrom, n.childKeyHash, pageSize) != n) fail("child key", n, "is not found under its parent by its first page");
      if (n.writeBackPending && (n.value == null || n.lockRef > 0 || n.deviceChildCount > 0 || !n.writeBackInFlight)) {
        fail("write-back", n, "is pending but off the device, locked, has device children or no copy in flight");
      }
      if (n.writeBackInFlight && n.value == null) fail("write-back", n, "lost its device pages while its copy is in flight");
      if (hasher != null) {
        if (n.hashValue == null || n.hashValue.length != pages) fail("hash values", n, "has no page key per page");
        PageKey prior = n.parent.isRoot() ? n.parent.namespace.seed : n.parent.lastHashValue();
        for (int p = 0; p < pages; p++) {
          prior = hasher.hashPage(prior, n.keyArray, n.keyFrom + p * pageSize);
          if (!prior.equals(n.hashValue[p])) fail("hash chain", n, "page " + p + " key is not chained from its parent");
        }
      }
      if (n.value != null) {
        dev += pages;
        if (n.lockRef > 0) prot += pages;
        if (n.writeBackPending) pending += pages;
      }
      if (n.hostValue != null) host += pages;
      if (n.value != null) mine[0] += pages;
      if (n.hostValue != null) mine[1] += pages;
      if (n.inDeviceIndex) mine[2]++;
      if (n.inHostIndex) mine[3]++;
      if (quota && n.inDeviceIndex && !n.namespace.deviceIndex.contains(n)) fail("namespace device index", n, "is missing");
      if (quota && n.inHostIndex && !n.namespace.hostIndex.contains(n)) fail("namespace host index", n, "is missing");
      if (n.inDeviceIndex != deviceCandidate(n)) fail("device index", n, "membership " + n.inDeviceIndex + " is wrong");
      if (n.inHostIndex != hostCandidate(n)) fail("host index", n, "membership " + n.inHostIndex + " is wrong");
      if (n.inDeviceIndex) {
        devLeaves++;
        if (!deviceIndex.contains(n)) fail("device index", n, "is flagged but not found in order (a key field changed in place)");
      }
      if (n.inHostIndex) {
        hostLeaves++;
        if (!hostIndex.contains(n)) fail("host index", n, "is flagged but not found in order (a key field changed in place)");
      }
    }
    check(dev == devicePageCount, "device pages counted " + devicePageCount + ", tree holds " + dev);
    check(prot == protectedDevicePages, "protected pages counted " + protectedDevicePages + ", tree holds " + prot);
    check(host == hostPageCount, "host pages counted " + hostPageCount + ", tree holds " + host);
    check(pending == pendingWriteBackPages, "pending write-back pages counted " + pendingWriteBackPages + ", tree holds " + pending);
    check(nodes == nodeCount, "node count " + nodeCount + ", tree holds " + nodes);
    check(devLeaves == deviceIndex.size(), "device index holds " + deviceIndex.size() + " nodes, " + devLeaves + " flagged");
    check(hostLeaves == hostIndex.size(), "host index holds " + hostIndex.size() + " nodes, " + hostLeaves + " flagged");
    for (Map.Entry<TreeNamespace, int[]> e : perNamespace.entrySet()) {
      TreeNamespace ns = e.getKey();
      int[] c = e.getValue();
      String which = ns == defaultNamespace ? "the default namespace" : "namespace " + ns.seed;
      check(c[0] == ns.devicePages && c[1] == ns.hostPages, which + " counts " + ns.devicePages + " device and "
          + ns.hostPages + " host pages, its subtree holds " + c[0] + " and " + c[1]);
      if (quota) {
        check(c[2] == ns.deviceIndex.size() && c[3] == ns.hostIndex.size(), which + "'s eviction indexes hold "
            + ns.deviceIndex.size() + " and " + ns.hostIndex.size() + " leaves, " + c[2] + " and " + c[3] + " flagged");
      }
    }
  }

  private static void fail(String what, TreeNode n, String detail) {
    throw new IllegalStateException("invariant '" + what + "' broken: node " + n.id + " " + detail);
  }

  private static void check(boolean ok, String detail) {
    if (!ok) throw new IllegalStateException("invariant 'accounting' broken: " + detail);
  }
}
