package dev.hicache.l3.mooncake;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Per-thread native memory for a call's arguments (C strings, pointer and size arrays, result
 * arrays), reused from call to call: a confined arena per call costs a native allocation and a
 * free each time, and those, with the garbage they leave, made the slow tail of single 4 KiB
 * calls (docs/benchmarks.md, "Mooncake binding latency"). The memory is owned by an automatic
 * arena, so it is freed once its thread is gone. Not re-entrant: one call at a time per thread,
 * which a downcall guarantees.
 *
 * <p>It also carries the thread's <b>in-call marker</b>, the cheap half of {@link MooncakeStore}'s
 * lifecycle guard: the store a single call is inside, set before the call and cleared after it.
 * Every scratch is listed (weakly) so that close and the other exclusive operations can wait for
 * the markers naming their store to clear.
 */
final class NativeScratch {
  private static final long INITIAL = 16 << 10;
  private static final ThreadLocal<NativeScratch> MINE = ThreadLocal.withInitial(NativeScratch::create);
  /** Every thread's scratch, weakly: a dead thread's goes with it. */
  private static final ConcurrentLinkedQueue<WeakReference<NativeScratch>> ALL = new ConcurrentLinkedQueue<>();
  private static final VarHandle IN_CALL;

  static {
    try {
      IN_CALL = MethodHandles.lookup().findVarHandle(NativeScratch.class, "inCall", Object.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The store this thread is inside a single call of, or null; written only by its thread. */
  @SuppressWarnings("unused") // through IN_CALL
  private volatile Object inCall;
  /** Whether this thread's current call took its store's read lock instead (the slow path). */
  boolean readLocked;

  private static NativeScratch create() {
    NativeScratch s = new NativeScratch();
    ALL.add(new WeakReference<>(s));
    return s;
  }

  /**
   * Marks this thread as inside a call of {@code store}: a volatile write, so that the store's
   * exclusive operations, which set their flag and then read every marker, and this thread, which
   * writes its marker and then reads the flag, cannot both miss each other.
   */
  void enter(Object store) {
    IN_CALL.setVolatile(this, store);
  }

  /** Clears the marker; the release orders the finished call before it, for whoever waits on it. */
  void leave() {
    IN_CALL.setRelease(this, (Object) null);
  }

  /** Whether this thread is inside a single call of {@code store}. */
  boolean isIn(Object store) {
    return IN_CALL.getVolatile(this) == store;
  }

  /** Runs {@code action} on every live thread's scratch, dropping the entries of dead threads. */
  static void forEach(Consumer<NativeScratch> action) {
    for (var it = ALL.iterator(); it.hasNext(); ) {
      NativeScratch s = it.next().get();
      if (s == null) it.remove();
      else action.accept(s);
    }
  }

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
