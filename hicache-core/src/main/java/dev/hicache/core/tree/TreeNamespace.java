package dev.hicache.core.tree;

import dev.hicache.api.PageKey;

/**
 * One namespace of a {@link HiRadixTree} (docs/behaviour.md#namespaces): the root of its own
 * subtree, the seed its page-key chains start from, the pages it holds in each tier and, with a
 * per-namespace quota, its own eviction order (the same policy's, over its leaves only). Requests
 * of different namespaces never meet in one subtree, so they never share a page.
 */
final class TreeNamespace {
  /** The prior of chains that start at {@link #root}; null for a namespace without a seed. */
  final PageKey seed;
  final TreeNode root;
  int devicePages;
  int hostPages;
  /** This namespace's unlocked device leaves, in the policy's order; null without a quota. */
  EvictionIndex deviceIndex;
  /** This namespace's unprotected host-only leaves, in the policy's order; null without a quota. */
  EvictionIndex hostIndex;

  TreeNamespace(PageKey seed, TreeNode root, EvictionIndex deviceIndex, EvictionIndex hostIndex) {
    this.seed = seed;
    this.root = root;
    this.deviceIndex = deviceIndex;
    this.hostIndex = hostIndex;
    root.namespace = this;
  }
}
