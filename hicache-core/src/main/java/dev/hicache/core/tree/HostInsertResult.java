package dev.hicache.core.tree;

/**
 * What {@link HiRadixTree#insertHostOnly} did (spec §7.4 step 3).
 *
 * @param matchedPages pages the tree already held (the caller frees those duplicate host pages)
 * @param last         the deepest node of the inserted span (the anchor when nothing was inserted)
 */
public record HostInsertResult(int matchedPages, TreeNode last) {}
