package dev.hicache.api.tck;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test doubles that each break one rule of the L3 contract, and TCK runs against them. The runs'
 * class names do not end in "Test", so the build does not run them directly: {@link
 * L3StoreTckCatchesBrokenStoresTest} launches each one and asserts that the TCK fails it.
 */
final class BrokenL3StoreDoubles {
  private BrokenL3StoreDoubles() {}

  /** Counts every present key, gaps included (the leading-run rule ignored). */
  static final class LeadingRunIgnoring extends InMemoryL3StoreDouble {
    @Override public int batchExists(List<PageKey> keys) {
      L3Store.checkBatch(keys, null);
      checkOpen();
      return (int) keys.stream().filter(pages::containsKey).count();
    }
  }

  /** Copies as much as fits into a smaller target and reports the page read. */
  static final class Truncating extends InMemoryL3StoreDouble {
    @Override protected boolean read(byte[][] stored, MemorySegment[] target) {
      if (stored == null || stored.length != target.length) return false;
      for (int p = 0; p < stored.length; p++) {
        int n = (int) Math.min(stored[p].length, target[p].byteSize());
        MemorySegment.copy(stored[p], 0, target[p], ValueLayout.JAVA_BYTE, 0, n);
      }
      return true;
    }
  }

  /** Overwrites a present page instead of skipping the second set. */
  static final class Overwriting extends InMemoryL3StoreDouble {
    @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
      L3Store.checkPageBatch(keys, sources);
      checkOpen();
      boolean[] out = new boolean[keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        pages.put(keys.get(i), copy(sources.get(i)));
        out[i] = true;
      }
      return out;
    }
  }

  /**
   * Keeps each page in one shared, mutable buffer per key and copies part by part without a lock:
   * a concurrent set or a remove tears a page that a get is copying.
   */
  static final class Tearing extends InMemoryL3StoreDouble {
    private final Map<PageKey, byte[][]> slots = new HashMap<>();

    private synchronized byte[][] slot(PageKey key, MemorySegment[] shape) {
      return slots.computeIfAbsent(key, k -> {
        byte[][] s = new byte[shape.length][];
        for (int p = 0; p < shape.length; p++) s[p] = new byte[(int) shape[p].byteSize()];
        return s;
      });
    }

    @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
      L3Store.checkPageBatch(keys, sources);
      checkOpen();
      boolean[] out = new boolean[keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        MemorySegment[] src = sources.get(i);
        byte[][] s = slot(keys.get(i), src);
        // Writes in place even when present: a reader copying this slot sees two versions.
        for (int p = 0; p < src.length && p < s.length; p++) {
          for (int b = 0; b < s[p].length && b < src[p].byteSize(); b++) {
            s[p][b] = src[p].get(ValueLayout.JAVA_BYTE, b);
            if ((b & 63) == 0) Thread.yield();
          }
        }
        pages.put(keys.get(i), s);
        out[i] = true;
      }
      return out;
    }

    @Override public boolean remove(PageKey key) {
      L3Store.checkKey(key);
      checkOpen();
      return pages.remove(key) != null;
    }
  }

  /** Returns zero-filled instead of stored bytes when a page has more than one part. */
  static final class PartDropping extends InMemoryL3StoreDouble {
    @Override protected boolean read(byte[][] stored, MemorySegment[] target) {
      if (!super.read(stored, target)) return false;
      if (target.length > 1) target[target.length - 1].fill((byte) 0);
      return true;
    }
  }

  /** Writes the first page of a batch before it validates the rest. */
  static final class ValidatingLate extends InMemoryL3StoreDouble {
    @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
      checkOpen();
      if (keys != null && !keys.isEmpty() && keys.get(0) != null && sources != null && !sources.isEmpty()
          && sources.get(0) != null && sources.get(0).length > 0) {
        pages.putIfAbsent(keys.get(0), copy(sources.get(0)));
      }
      return super.batchSet(keys, sources);
    }
  }

  /**
   * Fills only the last target given for a key that appears more than once in one read, and
   * reports every occurrence as read (what Mooncake's batch_get_into does).
   */
  static final class RepeatedKeyLastOnly extends InMemoryL3StoreDouble {
    @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
      L3Store.checkPageBatch(keys, targets);
      checkOpen();
      boolean[] out = new boolean[keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        int last = keys.lastIndexOf(keys.get(i));
        out[i] = last == i ? read(pages.get(keys.get(i)), targets.get(i)) : pages.containsKey(keys.get(i));
      }
      return out;
    }
  }

  /**
   * Removes a page at once even while a reader copies it out, and a later set reuses the reader's
   * source: a reader can end with a mix of two pages (what Mooncake's forced remove allows).
   * Reads copy part by part with a pause between, so that removals land inside them.
   */
  static final class RemovingUnderReaders extends InMemoryL3StoreDouble {
    private final java.util.concurrent.ConcurrentHashMap<PageKey, byte[][]> slots = new java.util.concurrent.ConcurrentHashMap<>();

    @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
      L3Store.checkPageBatch(keys, sources);
      checkOpen();
      boolean[] out = new boolean[keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        byte[][] fresh = copy(sources.get(i));
        if (pages.putIfAbsent(keys.get(i), fresh) == null) {
          // The freed memory of an earlier version is reused in place, as an allocator would.
          byte[][] slot = slots.computeIfAbsent(keys.get(i), k -> fresh);
          if (slot != fresh && sameShape(slot, fresh)) {
            for (int p = 0; p < slot.length; p++) System.arraycopy(fresh[p], 0, slot[p], 0, slot[p].length);
            pages.put(keys.get(i), slot);
          }
        }
        out[i] = true;
      }
      return out;
    }

    private static boolean sameShape(byte[][] a, byte[][] b) {
      if (a.length != b.length) return false;
      for (int p = 0; p < a.length; p++) if (a[p].length != b[p].length) return false;
      return true;
    }

    @Override protected boolean read(byte[][] stored, MemorySegment[] target) {
      if (stored == null || stored.length != target.length) return false;
      for (int p = 0; p < stored.length; p++) if (target[p].byteSize() != stored[p].length) return false;
      for (int p = 0; p < stored.length; p++) {
        int half = stored[p].length / 2;
        MemorySegment.copy(stored[p], 0, target[p], ValueLayout.JAVA_BYTE, 0, half);
        java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        MemorySegment.copy(stored[p], half, target[p], ValueLayout.JAVA_BYTE, half, stored[p].length - half);
      }
      return true;
    }
  }

  // The TCK against each broken double. Not named *Test: launched only by the meta test.

  static class RepeatedKeyLastOnlyTck extends L3StoreTck {
    @Override protected L3Store newStore() {
      return new RepeatedKeyLastOnly();
    }
  }

  static class RemovingUnderReadersTck extends L3StoreTck {
    @Override protected L3Store newStore() {
      return new RemovingUnderReaders();
    }
  }

  static class LeadingRunIgnoringTck extends L3StoreTck {
    @Override protected L3Store newStore() {
      return new LeadingRunIgnoring();
    }
  }

  static class TruncatingTck extends L3StoreTck {
    @Override protected L3Store newStore() {
      return new Truncating();
    }
  }

  static class OverwritingTck extends L3StoreTck {
    @Override protected L3Store newStore() {
      return new Overwriting();
    }
  }

  static class TearingTck extends L3StoreTck {
    @Override protected L3Store newStore() {
      return new Tearing();
    }

    @Override protected int concurrentOpsPerThread() {
      return 2000;
    }
  }

  static class PartDroppingTck extends L3StoreTck {
    @Override protected L3Store newStore() {
      return new PartDropping();
    }
  }

  static class ValidatingLateTck extends L3StoreTck {
    @Override protected L3Store newStore() {
      return new ValidatingLate();
    }
  }
}
