package dev.hicache.core.tree;

import java.util.List;

/**
 * What {@link HiRadixTree#insert} did (docs/behaviour.md#insert).
 *
 * @param devicePrefixPages pages of the inserted key that were already on the device; the caller
 *                          frees its own duplicate device pages for that prefix
 *                          (docs/behaviour.md#request-hooks)
 * @param needBackup        nodes on the path, ancestors first, whose hit count reached the write
 *                          policy's threshold and that are not backuped; the controller backs them
 *                          up. Empty under write_back and for chunked inserts.
 */
public record InsertResult(int devicePrefixPages, List<TreeNode> needBackup) {
  public InsertResult {
    needBackup = List.copyOf(needBackup);
  }
}
