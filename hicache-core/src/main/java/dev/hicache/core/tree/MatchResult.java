package dev.hicache.core.tree;

/**
 * What {@link HiRadixTree#matchPrefix} found (docs/behaviour.md#match): the device pages of the
 * continuous device prefix, then how far the host part extends it.
 *
 * @param devicePages    device page ids of the matched device prefix, in order
 * @param lastDeviceNode the deepest matched node on the device (the root when none)
 * @param lastHostNode   the deepest matched node whose KV is in host memory, i.e. backuped (the
 *                       root when none); the anchor a prefetch starts from
 * @param hostHitPages   pages after the device prefix that are held only in host memory
 */
public record MatchResult(int[] devicePages, TreeNode lastDeviceNode, TreeNode lastHostNode,
                          int hostHitPages) {
  public int devicePrefixPages() {
    return devicePages.length;
  }
}
