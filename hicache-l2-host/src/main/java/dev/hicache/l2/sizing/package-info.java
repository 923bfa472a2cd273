/**
 * {@code hicache hugepage-sizing}: the port of Mooncake's {@code check_hicache_hugepage_requirements.py}
 * (docs/behaviour.md#hugetlb-sizing), entry point {@link dev.hicache.l2.sizing.HugepageSizing#run}.
 */
package dev.hicache.l2.sizing;
