package dev.hicache.l3.mooncake;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Per-thread native memory for a call's arguments (C strings, pointer and size arrays, result
 * arrays), reused from call to call: a confined arena per call costs a native allocation and a
 * free each time, and those, with the garbage they leave, made the slow tail of single 4 KiB
 * calls (docs/benchmarks.md, "Mooncake binding latency"). The memory is owned by an automatic
 * arena, so it is freed once its thread is gone. Not re-entrant: one call at a time per thread,
 * which a downcall guarantees.
 */
final class NativeScratch {
  private static final long INITIAL = 16 << 10;
  private static final ThreadLocal<NativeScratch> MINE = ThreadLocal.withInitial(NativeScratch::new);

  private MemorySegment memory = Arena.ofAuto().allocate(INITIAL, 64);
  private long used;

  private NativeScratch() {}

  /** This thread's scratch, emptied. */
  static NativeScratch begin() {
    NativeScratch s = MINE.get();
    s.used = 0;
    if (!s.retired.isEmpty()) s.retired.clear();
    return s;
  }

  /** {@code bytes} more bytes, 8-aligned, valid until the next {@link #begin()} on this thread. */
  MemorySegment take(long bytes) {
    long start = (used + 7) & ~7L;
    if (start + bytes > memory.byteSize()) {
      // Earlier slices of this call must stay valid, so grow into a new block and keep the old one
      // reachable until this call is done (the automatic arena frees it later).
      long size = Math.max(memory.byteSize() * 2, bytes + 64);
      retired.add(memory);
      memory = Arena.ofAuto().allocate(size, 64);
      start = 0;
    }
    used = start + bytes;
    return memory.asSlice(start, bytes);
  }

  /** Blocks outgrown during the current call: raw pointers into them may still be in use until it ends. */
  private final java.util.ArrayList<MemorySegment> retired = new java.util.ArrayList<>(2);

  /**
   * A checked key as a NUL-terminated C string (keys are printable ASCII: one byte per char). As
   * the first thing of a call it is written at the start of the block, which is passed whole: no
   * slice object per call.
   */
  MemorySegment key(String key) {
    CStrings.checkKey(key);
    int n = key.length();
    MemorySegment s = used == 0 && n + 1L <= memory.byteSize() ? memory : take(n + 1L);
    if (s == memory) used = n + 1L;
    s.setString(0, key, StandardCharsets.UTF_8); // ASCII: the same bytes; copied without a byte[]
    return s;
  }

  /** An array of {@code char*} pointing at the checked keys, written as consecutive C strings. */
  MemorySegment keys(String[] keys) {
    long total = 0;
    for (String k : keys) total += CStrings.checkKey(k).length() + 1L;
    MemorySegment pointers = take(ADDRESS.byteSize() * keys.length);
    MemorySegment block = take(total);
    long off = 0;
    for (int i = 0; i < keys.length; i++) {
      String k = keys[i];
      int n = k.length();
      block.setString(off, k, StandardCharsets.UTF_8);
      pointers.setAtIndex(JAVA_LONG, i, block.address() + off); // a char* (64-bit platforms only, as the binding)
      off += n + 1L;
    }
    return pointers;
  }

  /** The buffers' addresses and sizes as the zero-copy batch calls take them: {@code void**}, {@code size_t*}. */
  MemorySegment[] buffersAndSizes(MemorySegment[] buffers) {
    int n = buffers.length;
    MemorySegment b = take(ADDRESS.byteSize() * n);
    MemorySegment s = take(JAVA_LONG.byteSize() * n);
    for (int i = 0; i < n; i++) {
      // Heap memory never reaches here with bytes to move (refused first); an empty one passes NULL.
      b.setAtIndex(JAVA_LONG, i, buffers[i].isNative() ? buffers[i].address() : 0L);
      s.setAtIndex(JAVA_LONG, i, buffers[i].byteSize());
    }
    return new MemorySegment[] {b, s};
  }
}
