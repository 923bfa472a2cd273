/**
 * {@code hicache hugepage-sizing}: the port of Mooncake's {@code check_hicache_hugepage_requirements.py}
 * (spec mooncake.md §7), entry point {@link dev.hicache.l2.sizing.HugepageSizing#run}.
 */
package dev.hicache.l2.sizing;
