package dev.hicache.l3.local;

import dev.hicache.api.PageKey;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Page number → key, part sizes and bytes: a deterministic function, so any process can check any page. */
final class CrashPages {
  static final int MAX_PART = 700;

  private CrashPages() {}

  static PageKey key(long n) {
    byte[] d = new byte[PageKey.BYTES];
    new SplittableRandom(0x5EED_0000L + n * 0x9E3779B97F4A7C15L).nextBytes(d);
    return PageKey.ofDigest(d);
  }

  static int[] sizes(long n) {
    SplittableRandom r = new SplittableRandom(n * 31 + 7);
    return new int[] {1 + r.nextInt(MAX_PART), 1 + r.nextInt(MAX_PART)};
  }

  static byte[][] parts(long n) {
    int[] s = sizes(n);
    SplittableRandom r = new SplittableRandom(n ^ 0xC0FFEE_1234L);
    byte[][] p = new byte[s.length][];
    for (int i = 0; i < s.length; i++) {
      p[i] = new byte[s[i]];
      r.nextBytes(p[i]);
    }
    return p;
  }

  static MemorySegment[] source(long n, Arena arena) {
    byte[][] p = parts(n);
    MemorySegment[] out = new MemorySegment[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = arena.allocate(p[i].length);
      MemorySegment.copy(p[i], 0, out[i], ValueLayout.JAVA_BYTE, 0, p[i].length);
    }
    return out;
  }

  static MemorySegment[] target(long n, Arena arena) {
    int[] s = sizes(n);
    MemorySegment[] out = new MemorySegment[s.length];
    for (int i = 0; i < s.length; i++) out[i] = arena.allocate(s[i]);
    return out;
  }

  static boolean matches(long n, MemorySegment[] t) {
    byte[][] p = parts(n);
    for (int i = 0; i < p.length; i++) {
      if (!Arrays.equals(t[i].toArray(ValueLayout.JAVA_BYTE), p[i])) return false;
    }
    return true;
  }

  /** The store configuration every process of a test uses. */
  static LocalL3Config config(java.nio.file.Path dir, int slots) {
    return LocalL3Config.of(dir, LocalL3Config.slotBytes(2L * MAX_PART, 2) * slots, 2L * MAX_PART, 2);
  }
}
