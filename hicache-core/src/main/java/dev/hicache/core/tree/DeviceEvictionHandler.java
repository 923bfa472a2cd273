package dev.hicache.core.tree;

/**
 * What {@link HiRadixTree#evictDevice} asks of its caller: the tree decides, the controller frees
 * memory and starts copies.
 */
public interface DeviceEvictionHandler {
  /** Device pages of an evicted node, to return to the device pool. */
  void freeDevicePages(int[] pages);

  /**
   * write_back only: the node is not backuped; start its device-to-host copy and return true. The
   * tree then counts its pages as evicted but keeps the node until {@link
   * HiRadixTree#evictBackuped} is called after the copy is acknowledged. Before returning true,
   * mark the node backuped with {@link HiRadixTree#setBackuped} (SGLang sets {@code host_value}
   * when the copy is issued). Return false to delete the node (its KV is lost), as every other
   * policy does.
   */
  boolean startWriteBack(TreeNode node);
}
