package dev.hicache.core.tree;

/**
 * What {@link HiRadixTree#insertHostOnly} did (docs/behaviour.md#prefetch-termination, step 3).
 *
 * @param matchedPages pages the tree already held (the caller frees those duplicate host pages)
 * @param last         the deepest node of the inserted span (the anchor when nothing was inserted)
 */
public record HostInsertResult(int matchedPages, TreeNode last) {}
