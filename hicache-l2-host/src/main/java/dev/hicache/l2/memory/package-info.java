/**
 * Host memory as real mappings, through the Foreign Function and Memory API (no JNI): {@link
 * dev.hicache.l2.memory.Libc} binds mmap, munmap, madvise, mlock and mincore with errno capture;
 * {@link dev.hicache.l2.memory.HostMemoryAllocator} picks a page path (HugeTLB 1 GiB or 2 MiB,
 * transparent hugepages, regular pages) and reports why it took it; {@link
 * dev.hicache.l2.memory.MmapArena} and {@link dev.hicache.l2.memory.MmapBufferAllocator} are
 * Mooncake's arena and mmap-buffer path; {@link dev.hicache.l2.memory.MemoryEnv} reads Mooncake's
 * memory variables from a map handed in.
 *
 * <p>Ownership: whoever allocates closes; close is idempotent; every segment handed out lives in a
 * shared scope that close ends, so a use after close is an {@link IllegalStateException}, not a
 * crash.
 */
package dev.hicache.l2.memory;
