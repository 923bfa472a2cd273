package dev.hicache.core.engine;

import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.spi.DevicePool;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.api.spi.Transfer;
import dev.hicache.core.storage.L3PageIo;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * The decode role's KV offload of prefill/decode disaggregation (SGLang's {@code
 * --disaggregation-decode-enable-offload-kvcache}): as a decode engine produces tokens, every page
 * of the request that becomes full — prompt and output, page-aligned — is copied from its device
 * slots through a small host staging pool into L3, under the same page keys and page format a
 * {@link HiCache} with that L3 prefetches. A prefill instance then serves the conversation's next
 * turn with the answer's pages from L3. The tail page that is not full is never offloaded.
 *
 * <p>Synchronous: {@link Request#offload} returns once the pages are stored (or refused: a page L3
 * did not take is a later miss, never an error). Call it from the decode loop's thread between
 * steps. Thread-safety: one thread. The caller owns the device pool, the staging pool (at least one
 * page) and the store. The staging pool must have the prefill side's host memory layout ({@code
 * --hicache-mem-layout}): an L3 page holds its bytes in host page order.
 */
public final class DecodeOffload implements AutoCloseable {
  private final DevicePool device;
  private final HostPool staging;
  private final L3PageIo io;
  private final PageHasher hasher;
  private final PageKey namespaceSeed;
  private final int pageSize;
  private final MetricsSink metrics;
  private boolean closed;

  /**
   * @param namespaceSeed the seed of the prefill side's page-key chains ({@link HiCache.Builder#namespaceSeed}); null for none
   */
  public DecodeOffload(DevicePool device, HostPool staging, L3Store store, PageKey namespaceSeed, MetricsSink metrics) {
    if (device == null || staging == null || store == null) throw new IllegalArgumentException("device pool, staging pool and L3 store are required");
    if (!device.shape().equals(staging.shape())) {
      throw new IllegalArgumentException("staging pool shape " + staging.shape() + " differs from device pool shape " + device.shape());
    }
    this.device = device;
    this.staging = staging;
    this.pageSize = device.shape().pageSize();
    this.metrics = metrics == null ? MetricsSink.NONE : metrics;
    this.io = new L3PageIo(store, staging, pageSize, this.metrics);
    this.hasher = new PageHasher(pageSize);
    this.namespaceSeed = namespaceSeed;
  }

  /** Starts offloading one request (its pages are keyed from the start of its sequence). */
  public Request request() {
    if (closed) throw new IllegalStateException("decode offload is closed");
    return new Request(namespaceSeed);
  }

  /**
   * {@link #request()} for a request of {@code namespace} (docs/behaviour.md#namespaces): its pages
   * are keyed from that namespace's seed, as the prefill side's cache keys them; null, or a
   * namespace with neither part, is the default one.
   */
  public Request request(dev.hicache.api.Namespace namespace) {
    if (closed) throw new IllegalStateException("decode offload is closed");
    PageKey seed = namespace == null ? null : namespace.seed();
    return new Request(seed == null ? namespaceSeed : seed);
  }

  @Override public void close() { closed = true; }

  /** One request's offload: the pages done so far and the chain's last key. */
  public final class Request {
    private int pagesDone;
    private PageKey last;
    private int stored;

    private Request(PageKey seed) {
      last = seed;
    }

    /**
     * Offloads every full page of {@code tokens[0, kvTokens)} not offloaded yet; the KV of position
     * p is in device slot {@code slotOf.applyAsInt(p)}. Returns the pages stored by this call.
     * {@code tokens} must extend the tokens of earlier calls (a request only grows).
     */
    public int offload(int[] tokens, int kvTokens, IntUnaryOperator slotOf) {
      if (closed) throw new IllegalStateException("decode offload is closed");
      if (kvTokens < 0 || kvTokens > tokens.length) throw new IllegalArgumentException("kvTokens " + kvTokens + " outside [0, " + tokens.length + "]");
      int full = kvTokens / pageSize;
      int n = 0;
      while (pagesDone < full) {
        int from = pagesDone * pageSize;
        int[] deviceSlots = new int[pageSize];
        for (int i = 0; i < pageSize; i++) deviceSlots[i] = slotOf.applyAsInt(from + i);
        int[] hostSlots = staging.alloc(pageSize);
        if (hostSlots == null) throw new IllegalStateException("the staging pool has no free page");
        try {
          Transfer t = device.backup(deviceSlots, staging, hostSlots);
          t.await();
          PageKey key = hasher.hashPage(last, tokens, from);
          last = key;
          pagesDone++;
          if (t.failure() != null) {
            metrics.count("hicache_decode_offload_pages", "failed", 1);
            continue;
          }
          int ok;
          try {
            ok = io.write(List.of(key), new int[] {hostSlots[0] / pageSize});
          } catch (RuntimeException e) {
            // A fault of L3 costs a later hit, never the request.
            metrics.count("hicache_decode_offload_pages", "failed", 1);
            continue;
          }
          metrics.count("hicache_decode_offload_pages", ok == 1 ? "stored" : "refused", 1);
          n += ok;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while offloading a page", e);
        } finally {
          staging.free(hostSlots);
        }
      }
      stored += n;
      return n;
    }

    /** Full pages handled so far (stored or not). */
    public int pages() { return pagesDone; }

    /** Pages L3 took. */
    public int storedPages() { return stored; }
  }
}
