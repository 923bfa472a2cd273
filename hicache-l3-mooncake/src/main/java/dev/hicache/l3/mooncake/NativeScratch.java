package dev.hicache.l3.mooncake;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
  /**
   * Every live thread's scratch, weakly; dead threads' entries are dropped as new threads
   * come (through {@code GONE}), so that many short-lived (virtual) threads do not pile them up.
   */
  private static final Set<Reference<NativeScratch>> ALL = ConcurrentHashMap.newKeySet();
  private static final ReferenceQueue<NativeScratch> GONE = new ReferenceQueue<>();
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
    for (Reference<?> gone; (gone = GONE.poll()) != null; ) ALL.remove(gone);
    NativeScratch s = new NativeScratch();
    ALL.add(new WeakReference<>(s, GONE));
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

  /** Runs {@code action} on every live thread's scratch. */
  static void forEach(Consumer<NativeScratch> action) {
    for (Reference<NativeScratch> r : ALL) {
      NativeScratch s = r.get();
      if (s != null) action.accept(s);
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
   *
   * <p>Copy first, check the bytes after, eight at a time: half the cost of checking every char
   * and then copying. Sound because the first char outside printable ASCII, at index {@code k},
   * starts its encoding at byte {@code k} (all chars before it took one byte), where it shows as a
   * control byte, DEL or a byte of 0x80 and above, with one exception: an unpaired surrogate
   * becomes {@code '?'}. So a {@code '?'} anywhere, or any bad byte, sends the key to the exact
   * per-char check ({@link CStrings#checkKey}), which names the culprit or accepts a real {@code '?'}.
   */
  MemorySegment key(String key) {
    if (key == null || key.isEmpty() || key.length() > CStrings.MAX_KEY_BYTES) CStrings.checkKey(key); // throws
    int n = key.length();
    long room = 3L * n + 1; // the most UTF-8 can take for n chars, for the bytes the check then refuses
    MemorySegment s = used == 0 && room <= memory.byteSize() ? memory : take(room);
    if (s == memory) used = n + 1L;
    s.setString(0, key, StandardCharsets.UTF_8); // ASCII: the same bytes; copied without a byte[]
    if (!plainPrintableAscii(s, n)) CStrings.checkKey(key);
    return s;
  }

  private static final long ONES = 0x0101_0101_0101_0101L, HIGHS = 0x8080_8080_8080_8080L;

  /**
   * Whether bytes {@code [0, n)} are printable ASCII other than {@code '?'} and byte {@code n} is
   * the terminating NUL.
   */
  static boolean plainPrintableAscii(MemorySegment s, int n) {
    if (s.get(JAVA_BYTE, n) != 0) return false;
    if (n < 8) {
      for (int i = 0; i < n; i++) {
        byte b = s.get(JAVA_BYTE, i);
        if (b < 0x20 || b > 0x7e || b == '?') return false; // bytes of 0x80 and above are negative
      }
      return true;
    }
    long bad = 0;
    int i = 0;
    for (; i + 8 <= n; i += 8) bad |= badBytes(s.get(JAVA_LONG_UNALIGNED, i));
    if (i < n) bad |= badBytes(s.get(JAVA_LONG_UNALIGNED, n - 8)); // the last 8 again, overlapping
    return bad == 0;
  }

  /**
   * Non-zero when one of the eight bytes is 0x80 or above, below 0x20, DEL or {@code '?'}. Each
   * test is the exact "some byte is zero / below c" word trick; the below-0x20 one can misfire only
   * when a byte is 0x80 or above, which the first test reports anyway.
   */
  private static long badBytes(long x) {
    long high = x & HIGHS;
    long control = (x - 0x2020_2020_2020_2020L) & ~x & HIGHS;
    long del = x ^ 0x7f7f_7f7f_7f7f_7f7fL;
    long question = x ^ 0x3f3f_3f3f_3f3f_3f3fL;
    return high | control | ((del - ONES) & ~del & HIGHS) | ((question - ONES) & ~question & HIGHS);
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
