package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import java.util.AbstractList;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * An unmodifiable view of {@code keys[from, to)} whose entries nobody changes: the storage
 * controller's own copy of a node's page keys, or the pages of a prefetch's {@link LazyPageKeys}
 * already hashed. A port that keeps a command's keys until it runs may keep this view instead of a
 * copy ({@link VirtualTimeL3Port}); the List.copyOf of a sub-list walked it through an iterator and
 * copied it once per command.
 */
final class KeySpan extends AbstractList<PageKey> implements RandomAccess {
  private final PageKey[] keys;
  private final int from;
  private final int size;

  KeySpan(PageKey[] keys, int from, int to) {
    Objects.checkFromToIndex(from, to, keys.length);
    for (int i = from; i < to; i++) Objects.requireNonNull(keys[i], "page key");
    this.keys = keys;
    this.from = from;
    this.size = to - from;
  }

  @Override public PageKey get(int index) {
    Objects.checkIndex(index, size);
    return keys[from + index];
  }

  @Override public int size() {
    return size;
  }
}
