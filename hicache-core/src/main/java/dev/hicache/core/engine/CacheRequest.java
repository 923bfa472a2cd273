package dev.hicache.core.engine;

import dev.hicache.api.spi.Transfer;
import dev.hicache.core.tree.TreeNode;
import java.util.Arrays;

/**
 * One request's view of the cache (SGLang's {@code req.prefix_indices}, {@code last_node}, {@code
 * cache_protected_len} and its row of {@code req_to_token}): the device pages that hold its KV,
 * position by position, and what it must wait for before reading its cached prefix.
 *
 * <p>Token position {@code p} lives in device slot {@link #slot(int) slot(p)}. Positions below
 * {@link #cachedTokens()} hold cached KV once {@link #load()} has landed; the engine writes the
 * rest.
 */
public final class CacheRequest {
  final int[] tokens;
  final int priority;
  int[] pages = new int[8];
  int pageCount;
  /** Leading pages owned by the tree (the lock on {@link #lastNode} protects them). */
  int treePages;
  TreeNode lastNode;
  int deviceHitTokens;
  int hostHitTokens;
  int storageHitTokens;
  RequestLoad load;
  boolean done;
  /** The prompt's page keys computed beforehand (chained from the namespace seed), or null: the tree hashes. */
  dev.hicache.api.PageKey[] pageKeys;
  /** The seed of the request's namespace (docs/behaviour.md#namespaces), or null: the cache's default one. */
  dev.hicache.api.PageKey namespace;

  CacheRequest(int[] tokens, int priority) {
    this.tokens = tokens;
    this.priority = priority;
  }

  /** The prompt this request was admitted with. */
  public int[] tokens() { return tokens.clone(); }

  /** Tokens whose KV comes from the cache: the device hit plus what is loaded back from the host. */
  public int cachedTokens() { return deviceHitTokens + hostHitTokens; }

  /** Tokens found on the device at admission (SGLang's {@code cached_tokens} from {@code device}). */
  public int deviceHitTokens() { return deviceHitTokens; }

  /** Tokens loaded back from the host tier, prefetched ones included. */
  public int hostHitTokens() { return hostHitTokens; }

  /** Of {@link #hostHitTokens()}, those this request's L3 prefetch brought ({@code cached_tokens} from {@code storage}). */
  public int storageHitTokens() { return storageHitTokens; }

  /**
   * What to wait for before reading layer N of the cached prefix (done at once when nothing loads).
   * After {@link HiCache#cacheUnfinished} it may also cover another request's load-back of the
   * pages the request now shares: wait on it again before the next chunk reads the prefix.
   *
   * <p>If it ends with a {@link Transfer#failure() failure} (the copy failed, retried), the cached
   * prefix is not valid: {@link HiCache#abort abort} the request and admit it again; the failed
   * pages are never served again (a miss, never wrong data).
   */
  public Transfer load() { return load; }

  /**
   * Simulation hook, deterministic shell only: when layer {@code layer} of the cached prefix lands
   * in virtual time (0 when nothing loads). On a shared link it is known once {@link #load()} is done.
   */
  public long layerDueNanos(int layer) { return load.layerDueNanos(layer); }

  /** Token slots this request has device pages for. */
  public int capacityTokens() { return pageCount * pageSize(); }

  /** The device slot of token position {@code position}. */
  public int slot(int position) {
    int ps = pageSize();
    int page = position / ps;
    if (position < 0 || page >= pageCount) {
      throw new IndexOutOfBoundsException("position " + position + " has no device page (capacity " + capacityTokens() + ")");
    }
    return pages[page] * ps + position % ps;
  }

  /** The device pages of this request, in position order (a copy). */
  public int[] devicePages() { return Arrays.copyOf(pages, pageCount); }

  public boolean isDone() { return done; }

  int pageSize;

  int pageSize() { return pageSize; }

  void appendPages(int[] p) {
    if (pageCount + p.length > pages.length) pages = Arrays.copyOf(pages, Math.max(pages.length * 2, pageCount + p.length));
    System.arraycopy(p, 0, pages, pageCount, p.length);
    pageCount += p.length;
  }

  @Override public String toString() {
    return "CacheRequest[" + tokens.length + " tokens, cached " + cachedTokens() + ", pages " + pageCount + "]";
  }
}
