package dev.hicache.core.tree;

import java.util.Arrays;
import java.util.Comparator;

/**
 * One of the tree's ordered indexes of eviction candidates: an indexed binary min-heap in the
 * policy's order, each member keeping its position in the node ({@link TreeNode}'s heap slots), so
 * that a node is taken out wherever it sits in O(log n) without a search.
 *
 * <p>The tree only ever asks for the smallest member ({@link #pollFirst}) and adds and removes
 * members by identity, so a heap gives exactly the order of a sorted set (the tree's orders are
 * total: they end with the node id) without a red-black tree's entry per member and its rebalancing.
 *
 * <p>A member's order fields must not change while it is indexed (the tree takes a node out
 * first); {@link #remove} refuses a member found out of order with its parent, and {@link
 * #contains} checks the order around it, so a policy whose order changes in place is reported.
 */
final class EvictionIndex {
  /** Which of the node's position fields this index uses. */
  static final int DEVICE = 0, HOST = 1, NAMESPACE_DEVICE = 2, NAMESPACE_HOST = 3;

  private final Comparator<? super TreeNode> order;
  /**
   * The order is the default LRU ({@code lastAccessTime}, then id): the heap keeps both beside each
   * member ({@link #times}, {@link #ids}), so a sift compares array entries instead of loading the
   * nodes, each a likely cache miss in a heap of thousands.
   */
  private final boolean lru;
  private final int slot;
  private TreeNode[] heap = new TreeNode[16];
  private long[] times;
  private long[] ids;
  private int size;

  EvictionIndex(Comparator<? super TreeNode> order, int slot) {
    this(order, slot, false);
  }

  /** @param lru {@code order} is ({@code lastAccessTime}, id): the heap keeps both keys itself */
  EvictionIndex(Comparator<? super TreeNode> order, int slot, boolean lru) {
    this.order = order;
    this.slot = slot;
    this.lru = lru;
    if (lru) {
      times = new long[heap.length];
      ids = new long[heap.length];
    }
  }

  int size() { return size; }

  /** Adds {@code n}; false when it is a member already. */
  boolean add(TreeNode n) {
    if (position(n) >= 0) return false;
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
      if (lru) {
        times = Arrays.copyOf(times, size * 2);
        ids = Arrays.copyOf(ids, size * 2);
      }
    }
    siftUp(size++, n, n.lastAccessTime, n.id);
    return true;
  }

  /** Removes {@code n}; false when it is no member, or sits out of order with its parent. */
  boolean remove(TreeNode n) {
    int i = position(n);
    if (i < 0 || i >= size || heap[i] != n) return false;
    if (i > 0 && !inOrder((i - 1) >>> 1, n)) return false;
    removeAt(i);
    return true;
  }

  /** Removes and returns the smallest member, or null when empty. */
  TreeNode pollFirst() {
    if (size == 0) return null;
    TreeNode first = heap[0];
    removeAt(0);
    return first;
  }

  /** Whether {@code n} is a member and in order with its parent and children (for invariant checks). */
  boolean contains(TreeNode n) {
    int i = position(n);
    if (i < 0 || i >= size || heap[i] != n) return false;
    if (lru && (times[i] != n.lastAccessTime || ids[i] != n.id)) return false;
    if (i > 0 && !inOrder((i - 1) >>> 1, n)) return false;
    int c = 2 * i + 1;
    if (c < size && !inOrder(n, c)) return false;
    return c + 1 >= size || inOrder(n, c + 1);
  }

  /** Whether the member at {@code parent} comes no later than {@code n} (by its fields now). */
  private boolean inOrder(int parent, TreeNode n) {
    if (!lru) return order.compare(heap[parent], n) <= 0;
    long tp = times[parent], t = n.lastAccessTime;
    return tp < t || (tp == t && ids[parent] <= n.id);
  }

  /** Whether {@code n} (by its fields now) comes no later than the member at {@code child}. */
  private boolean inOrder(TreeNode n, int child) {
    if (!lru) return order.compare(n, heap[child]) <= 0;
    long t = n.lastAccessTime, tc = times[child];
    return t < tc || (t == tc && n.id <= ids[child]);
  }

  private void removeAt(int i) {
    TreeNode gone = heap[i];
    setPosition(gone, -1);
    int last = --size;
    TreeNode moved = heap[last];
    long t = lru ? times[last] : 0, id = lru ? ids[last] : 0;
    heap[last] = null;
    if (i == last) return;
    siftDown(i, moved, t, id);
    if (heap[i] == moved) siftUp(i, moved, t, id);
  }

  /** Whether {@code n} (keys {@code t}, {@code id} when LRU) comes after the member at {@code j}. */
  private boolean after(TreeNode n, long t, long id, int j) {
    if (!lru) return order.compare(n, heap[j]) > 0;
    long tj = times[j];
    return t > tj || (t == tj && id > ids[j]);
  }

  private void siftUp(int i, TreeNode n, long t, long id) {
    while (i > 0) {
      int p = (i - 1) >>> 1;
      if (!lessThanAt(n, t, id, p)) break; // the parent comes first: in place
      place(i, p);
      i = p;
    }
    put(i, n, t, id);
  }

  /** Whether {@code n} (keys {@code t}, {@code id} when LRU) comes before the member at {@code j}. */
  private boolean lessThanAt(TreeNode n, long t, long id, int j) {
    if (!lru) return order.compare(n, heap[j]) < 0;
    long tj = times[j];
    return t < tj || (t == tj && id < ids[j]);
  }

  private void siftDown(int i, TreeNode n, long t, long id) {
    int half = size >>> 1;
    while (i < half) {
      int c = 2 * i + 1;
      int r = c + 1;
      if (r < size && childAfter(c, r)) c = r;
      if (!after(n, t, id, c)) break;
      place(i, c);
      i = c;
    }
    put(i, n, t, id);
  }

  /** Whether the member at {@code a} comes after the member at {@code b}. */
  private boolean childAfter(int a, int b) {
    if (!lru) return order.compare(heap[a], heap[b]) > 0;
    long ta = times[a], tb = times[b];
    return ta > tb || (ta == tb && ids[a] > ids[b]);
  }

  /** Moves the member at {@code from} to position {@code to}. */
  private void place(int to, int from) {
    TreeNode m = heap[from];
    heap[to] = m;
    if (lru) {
      times[to] = times[from];
      ids[to] = ids[from];
    }
    setPosition(m, to);
  }

  private void put(int i, TreeNode n, long t, long id) {
    heap[i] = n;
    if (lru) {
      times[i] = t;
      ids[i] = id;
    }
    setPosition(n, i);
  }

  private int position(TreeNode n) {
    return switch (slot) {
      case DEVICE -> n.devicePos;
      case HOST -> n.hostPos;
      case NAMESPACE_DEVICE -> n.namespaceDevicePos;
      default -> n.namespaceHostPos;
    };
  }

  private void setPosition(TreeNode n, int i) {
    switch (slot) {
      case DEVICE -> n.devicePos = i;
      case HOST -> n.hostPos = i;
      case NAMESPACE_DEVICE -> n.namespaceDevicePos = i;
      default -> n.namespaceHostPos = i;
    }
  }
}
