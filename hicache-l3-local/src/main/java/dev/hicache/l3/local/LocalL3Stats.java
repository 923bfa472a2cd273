package dev.hicache.l3.local;

/**
 * What the embedded store has done since it was opened in this process.
 *
 * @param pagesStored pages written by this process
 * @param pagesAlreadyPresent sets skipped because the page was present
 * @param pagesRead pages read and verified
 * @param checksumMismatches reads whose bytes did not verify (the page was dropped: a miss)
 * @param staleEntries index entries that pointed at a slot since reused or freed (dropped: a miss)
 * @param evictions pages evicted to make room (Caffeine's W-TinyLFU, or the slab running out of slots)
 * @param rejectedTooLarge pages larger than a slot (not stored)
 * @param rejectedFull pages not stored because no slot could be freed
 * @param recoveredCommitted slots that a killed writer had published, committed on recovery
 * @param recoveredFreed slots that a killed writer or remover left behind, freed on recovery
 */
public record LocalL3Stats(long pagesStored, long pagesAlreadyPresent, long pagesRead, long checksumMismatches,
    long staleEntries, long evictions, long rejectedTooLarge, long rejectedFull, long recoveredCommitted,
    long recoveredFreed) {}
