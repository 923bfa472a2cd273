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
  private final int slot;
  private TreeNode[] heap = new TreeNode[16];
  private int size;

  EvictionIndex(Comparator<? super TreeNode> order, int slot) {
    this.order = order;
    this.slot = slot;
  }

  int size() { return size; }

  /** Adds {@code n}; false when it is a member already. */
  boolean add(TreeNode n) {
    if (position(n) >= 0) return false;
    if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
    siftUp(size++, n);
    return true;
  }

  /** Removes {@code n}; false when it is no member, or sits out of order with its parent. */
  boolean remove(TreeNode n) {
    int i = position(n);
    if (i < 0 || i >= size || heap[i] != n) return false;
    if (i > 0 && order.compare(heap[(i - 1) >>> 1], n) > 0) return false;
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
    if (i > 0 && order.compare(heap[(i - 1) >>> 1], n) > 0) return false;
    int c = 2 * i + 1;
    if (c < size && order.compare(n, heap[c]) > 0) return false;
    return c + 1 >= size || order.compare(n, heap[c + 1]) <= 0;
  }

  private void removeAt(int i) {
    TreeNode gone = heap[i];
    setPosition(gone, -1);
    TreeNode last = heap[--size];
    heap[size] = null;
    if (i == size) return;
    siftDown(i, last);
    if (heap[i] == last) siftUp(i, last);
  }

  private void siftUp(int i, TreeNode n) {
    while (i > 0) {
      int p = (i - 1) >>> 1;
      TreeNode parent = heap[p];
      if (order.compare(parent, n) <= 0) break;
      heap[i] = parent;
      setPosition(parent, i);
      i = p;
    }
    heap[i] = n;
    setPosition(n, i);
  }

  private void siftDown(int i, TreeNode n) {
    int half = size >>> 1;
    while (i < half) {
      int c = 2 * i + 1;
      TreeNode child = heap[c];
      int r = c + 1;
      if (r < size && order.compare(child, heap[r]) > 0) child = heap[c = r];
      if (order.compare(n, child) <= 0) break;
      heap[i] = child;
      setPosition(child, i);
      i = c;
    }
    heap[i] = n;
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
