package dev.hicache.core.tree;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.EvictionCandidate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * A node of the {@link HiRadixTree} (docs/behaviour.md#node-state): a page-aligned span of token
 * ids with its device pages ({@code value}), its host pages ({@code host_value}), lock counts and
 * the fields eviction policies read. Read-only to everyone but the tree, which mutates it on the
 * scheduler thread.
 *
 * <p>Values are page ids, one per page of the span, not per-token slots.
 */
public final class TreeNode implements EvictionCandidate {
  private static final TreeNode[] NO_CHILDREN = new TreeNode[0];

  // --- fields the tree mutates (package-private on purpose) ---
  TreeNode parent;
  /**
   * The span's token ids are {@code keyArray[keyFrom .. keyFrom + keyTokens)}: a split gives both
   * parts views of one array instead of copies, and a tree that was told its callers never modify
   * a token array ({@link HiRadixTree#tokensUnmodified()}) keeps a view of the inserted array. The
   * tree never writes into it.
   */
  int[] keyArray;
  int keyFrom;
  int keyTokens;
  int[] value;
  int[] hostValue;
  PageKey[] hashValue;
  int lockRef;
  int hostRefCounter;
  long hitCount;
  long lastAccessTime;
  final long creationTime;
  int priority;
  final long id;

  /** Hash of the first page of {@link #key}: this node's child key under its parent. */
  int childKeyHash;
  /** Children in an open-addressing table (linear probing) keyed by {@link #childKeyHash}. */
  TreeNode[] childSlots = NO_CHILDREN;
  int childCount;
  /** Children whose value is non-null (device-resident, write-back pending included). */
  int deviceChildCount;
  /** Counted as evicted from the device, waiting for its write-back copy (write_back policy). */
  boolean writeBackPending;
  /**
   * Its write-back copy is still reading the device pages: nothing may free them before the ack,
   * even when the eviction was called off meanwhile.
   */
  boolean writeBackInFlight;
  boolean inDeviceIndex;
  boolean inHostIndex;
  /** Positions in the eviction indexes' heaps ({@link EvictionIndex}); -1 when not a member. */
  int devicePos = -1, hostPos = -1, namespaceDevicePos = -1, namespaceHostPos = -1;
  /** Deleted from the tree; a stale reference to it must not be used. */
  boolean removed;
  /** The namespace whose subtree holds this node (docs/behaviour.md#namespaces); a root's own. */
  TreeNamespace namespace;

  TreeNode(long id, long now) {
    this.id = id;
    this.creationTime = now;
    this.lastAccessTime = now;
  }

  public TreeNode parent() { return parent; }

  public boolean isRoot() { return parent == null; }

  /**
   * The seed of the namespace whose subtree holds this node (docs/behaviour.md#namespaces): the
   * prior of its chain's first page; null for a namespace without a seed.
   */
  public PageKey namespaceSeed() { return namespace.seed; }

  /** Pages in this node's span. */
  public int pages() { return value != null ? value.length : hostValue.length; }

  public int tokens() { return keyTokens; }

  /**
   * The span's token ids; do not mutate. A node that holds a view of a longer array (after a split,
   * or of an inserted prompt) gets an array of its own on the first call.
   */
  public int[] key() {
    if (keyFrom != 0 || keyArray.length != keyTokens) {
      keyArray = java.util.Arrays.copyOfRange(keyArray, keyFrom, keyFrom + keyTokens);
      keyFrom = 0;
    }
    return keyArray;
  }

  /**
   * {@link java.util.Arrays#mismatch(int[], int, int, int[], int, int)} of the span's first {@code
   * n} tokens against {@code other[from .. from + n)}, without copying the span: -1 when equal.
   */
  public int keyMismatch(int n, int[] other, int from) {
    java.util.Objects.checkFromIndexSize(0, n, keyTokens);
    return java.util.Arrays.mismatch(keyArray, keyFrom, keyFrom + n, other, from, from + n);
  }

  /** Device page ids, one per page; {@code null} when evicted from the device. Do not mutate. */
  public int[] value() { return value; }

  /** Host page ids, one per page; {@code null} when not backuped. Do not mutate. */
  public int[] hostValue() { return hostValue; }

  /** Not on the device ({@code value == null}); the root never is. */
  public boolean evicted() { return value == null; }

  /** Has a host copy ({@code host_value != null}); the root always counts as backuped. */
  public boolean backuped() { return hostValue != null; }

  public int lockRef() { return lockRef; }

  public int hostRefCounter() { return hostRefCounter; }

  /** Per-page keys (docs/behaviour.md#where-chains-start), or null when the tree keeps none. Do not mutate. */
  public PageKey[] hashValue() { return hashValue; }

  /** The key of the span's last page, or null (the root, or no hashes kept). */
  public PageKey lastHashValue() {
    return hashValue == null || hashValue.length == 0 ? null : hashValue[hashValue.length - 1];
  }

  /** A snapshot of the children, in no particular order. */
  public Collection<TreeNode> children() {
    if (childCount == 0) return Collections.emptyList();
    List<TreeNode> out = new ArrayList<>(childCount);
    for (TreeNode c : childSlots) if (c != null) out.add(c);
    return Collections.unmodifiableList(out);
  }

  public int childCount() { return childCount; }

  /**
   * Counted as evicted by a write_back eviction and waiting for {@link HiRadixTree#evictBackuped};
   * its device pages are still valid meanwhile.
   */
  public boolean writeBackPending() { return writeBackPending; }

  /** A write-back device-to-host copy of this node was started and is not acknowledged yet. */
  public boolean writeBackInFlight() { return writeBackInFlight; }

  /** Deleted from the tree (by eviction); such a node must not be passed to the tree again. */
  public boolean removed() { return removed; }

  @Override public long lastAccessTime() { return lastAccessTime; }

  @Override public long creationTime() { return creationTime; }

  @Override public long hitCount() { return hitCount; }

  @Override public int priority() { return priority; }

  @Override public long id() { return id; }

  @Override public String toString() {
    return "TreeNode{id=" + id + ", pages=" + (keyArray == null ? 0 : (value != null || hostValue != null ? pages() : -1))
        + ", evicted=" + evicted() + ", backuped=" + backuped() + ", lockRef=" + lockRef
        + ", hostRef=" + hostRefCounter + ", children=" + childCount + "}";
  }

  // --- the child table ---

  /** The child whose first page equals {@code tokens[from .. from+pageSize)}, or null. */
  TreeNode findChild(int[] tokens, int from, int hash, int pageSize) {
    TreeNode[] slots = childSlots;
    int mask = slots.length - 1;
    if (mask < 0) return null;
    int i = slotOf(hash, mask);
    TreeNode c;
    while ((c = slots[i]) != null) {
      if (c.childKeyHash == hash
          && java.util.Arrays.equals(c.keyArray, c.keyFrom, c.keyFrom + pageSize, tokens, from, from + pageSize)) {
        return c;
      }
      i = (i + 1) & mask;
    }
    return null;
  }

  /** Adds a child whose first page no other child has. */
  void addChild(TreeNode child) {
    if ((childCount + 1) * 4 > childSlots.length * 3) grow();
    place(childSlots, child);
    childCount++;
  }

  /** Puts {@code replacement} (same first page) in the slot of {@code old}. */
  void replaceChild(TreeNode old, TreeNode replacement) {
    int i = indexOf(old);
    childSlots[i] = replacement;
  }

  void removeChild(TreeNode child) {
    TreeNode[] slots = childSlots;
    int mask = slots.length - 1;
    int i = indexOf(child);
    slots[i] = null;
    childCount--;
    // Backward-shift deletion keeps every probe sequence unbroken without tombstones.
    int j = i;
    while (true) {
      j = (j + 1) & mask;
      TreeNode c = slots[j];
      if (c == null) break;
      int home = slotOf(c.childKeyHash, mask);
      boolean movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        slots[i] = c;
        slots[j] = null;
        i = j;
      }
    }
  }

  private int indexOf(TreeNode child) {
    TreeNode[] slots = childSlots;
    int mask = slots.length - 1;
    int i = slotOf(child.childKeyHash, mask);
    while (slots[i] != child) {
      if (slots[i] == null) throw new IllegalStateException("node " + child.id + " is not a child of " + id);
      i = (i + 1) & mask;
    }
    return i;
  }

  private void grow() {
    TreeNode[] old = childSlots;
    TreeNode[] slots = new TreeNode[Math.max(2, old.length * 2)];
    for (TreeNode c : old) if (c != null) place(slots, c);
    childSlots = slots;
  }

  private static void place(TreeNode[] slots, TreeNode c) {
    int mask = slots.length - 1;
    int i = slotOf(c.childKeyHash, mask);
    while (slots[i] != null) i = (i + 1) & mask;
    slots[i] = c;
  }

  static int slotOf(int hash, int mask) {
    return (hash ^ (hash >>> 16)) & mask;
  }
}
