package dev.hicache.core.tree;

import dev.hicache.api.Tier;

/**
 * Told when a node's pages join or leave a tier (device or host), on the thread that changes the
 * tree; for the KV events of docs/observability.md#kv-events. A split moves no page between tiers
 * and is not reported. Implementations must not change the tree.
 */
public interface TreeObserver {
  /** Every page of {@code node} joined {@code tier}. */
  void stored(Tier tier, TreeNode node);

  /** Every page of {@code node} left {@code tier}. */
  void removed(Tier tier, TreeNode node);
}
