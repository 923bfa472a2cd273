package dev.hicache.core.events;

import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.core.tree.TreeNode;
import dev.hicache.core.tree.TreeObserver;

/**
 * Turns the tree's page moves into KV events named by the nodes' page keys. A node's key array is
 * handed over as it is: the tree gives a split node new arrays and never writes into one.
 */
public final class KvEventTreeObserver implements TreeObserver {
  private final KvEventPublisher publisher;

  public KvEventTreeObserver(KvEventPublisher publisher) {
    this.publisher = publisher;
  }

  @Override public void stored(Tier tier, TreeNode node) {
    PageKey[] keys = node.hashValue();
    if (keys == null) throw new IllegalStateException("KV events need page keys: node " + node.id() + " has none");
    publisher.stored(tier, node.namespaceSeed(), node.parent().lastHashValue(), keys, keys.length);
  }

  @Override public void removed(Tier tier, TreeNode node) {
    PageKey[] keys = node.hashValue();
    if (keys == null) throw new IllegalStateException("KV events need page keys: node " + node.id() + " has none");
    publisher.removed(tier, node.namespaceSeed(), keys, keys.length);
  }
}
