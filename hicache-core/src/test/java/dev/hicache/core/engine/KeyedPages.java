package dev.hicache.core.engine;

import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Test helper: the KV bytes a page must hold are derived from the page's key, item by item, so a
 * page served from the wrong place (or a stale page) is detected, not just counted.
 */
public final class KeyedPages {
  private KeyedPages() {}

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** The page keys of every full page of tokens[0, length). */
  static List<PageKey> keys(int[] tokens, int length, int pageSize) {
    return keys(null, tokens, length, pageSize);
  }

  /** The page keys of every full page of tokens[0, length), chained from {@code seed} (a namespace's; null: none). */
  static List<PageKey> keys(PageKey seed, int[] tokens, int length, int pageSize) {
    return new PageHasher(pageSize).chain(seed, tokens, 0, length);
  }

  private static long word(PageKey key, int kv, int layer, int t, int w) {
    return mix(key.toInt64() ^ mix(((long) kv << 48) ^ ((long) layer << 32) ^ ((long) t << 16) ^ w));
  }

  /** Writes the key's bytes into the page (layer-first device layout, or any layout). */
  public static void fill(LayoutDescriptor layout, MemorySegment buf, int page, PageKey key) {
    int ps = layout.shape().pageSize();
    int words = (int) (layout.itemBytes() / 8);
    for (int kv = 0; kv < layout.shape().kvParts(); kv++) {
      for (int layer = 0; layer < layout.shape().layers(); layer++) {
        for (int t = 0; t < ps; t++) {
          long off = layout.offset(kv, layer, page * ps + t);
          for (int w = 0; w < words; w++) buf.set(ValueLayout.JAVA_LONG_UNALIGNED, off + 8L * w, word(key, kv, layer, t, w));
        }
      }
    }
  }

  /** Whether the page holds exactly the key's bytes. */
  public static boolean holds(LayoutDescriptor layout, MemorySegment buf, int page, PageKey key) {
    int ps = layout.shape().pageSize();
    int words = (int) (layout.itemBytes() / 8);
    for (int kv = 0; kv < layout.shape().kvParts(); kv++) {
      for (int layer = 0; layer < layout.shape().layers(); layer++) {
        for (int t = 0; t < ps; t++) {
          long off = layout.offset(kv, layer, page * ps + t);
          for (int w = 0; w < words; w++) {
            if (buf.get(ValueLayout.JAVA_LONG_UNALIGNED, off + 8L * w) != word(key, kv, layer, t, w)) return false;
          }
        }
      }
    }
    return true;
  }
}
