package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.spi.DevicePool;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.Transfer;
import dev.hicache.core.pool.CopyTransfer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SGLang's layer-done counter through the production shell: a load-back's layers reach the request
 * one by one, as the device pool reports them, so layer N's attention can start while later layers
 * are still copying.
 */
class LayerByLayerLoadTest {
  /** Test double: copies at once, but reports a load's layers only when the test releases them. */
  static final class GatedDevicePoolDouble implements DevicePool {
    final KeyedDevicePoolDouble pool;
    volatile CopyTransfer gated;

    GatedDevicePoolDouble(KeyedDevicePoolDouble pool) { this.pool = pool; }

    @Override public Transfer backup(int[] d, HostPool h, int[] s) { return pool.backup(d, h, s); }

    @Override public Transfer load(int[] h, HostPool host, int[] d) {
      Transfer done = pool.load(h, host, d);
      assertThat(done.isDone()).isTrue();
      CopyTransfer t = new CopyTransfer(done.layers(), done.bytes());
      gated = t;
      return t;
    }

    @Override public KvShape shape() { return pool.shape(); }
    @Override public int capacityTokens() { return pool.capacityTokens(); }
    @Override public int availableTokens() { return pool.availableTokens(); }
    @Override public int[] alloc(int tokens) { return pool.alloc(tokens); }
    @Override public void free(int[] slots) { pool.free(slots); }
    @Override public long outstandingBytes() { return pool.outstandingBytes(); }
    @Override public void close() { pool.close(); }
  }

  private static void run(HiCache cache, KeyedDevicePoolDouble device, int[] tokens) {
    CacheRequest r = cache.admit(tokens);
    while (!cache.extend(r, tokens.length)) cache.poll();
    List<PageKey> keys = KeyedPages.keys(tokens, tokens.length, EngineScript.PAGE);
    int[] pages = r.devicePages();
    for (int i = r.cachedTokens() / EngineScript.PAGE; i < tokens.length / EngineScript.PAGE; i++) device.fillPage(pages[i], keys.get(i));
    cache.finish(r, tokens, tokens.length);
    while (cache.inFlightBackups() > 0) cache.poll();
  }

  @Test void loadBack_landsLayerByLayer_throughTheProductionShell() throws Exception {
    KvShape shape = new KvShape(4, 1, 4, dev.hicache.api.DType.FP16, false, EngineScript.PAGE);
    KeyedDevicePoolDouble keyed = new KeyedDevicePoolDouble(shape, 8 * EngineScript.PAGE);
    GatedDevicePoolDouble device = new GatedDevicePoolDouble(keyed);
    HiCacheConfig config = HiCacheConfig.builder().pageSize(EngineScript.PAGE).loadBackThreshold(EngineScript.PAGE).build();
    try (HiCache cache = HiCache.builder(config).devicePool(device)
        .hostPool(new CorruptibleHostPoolDouble(shape, MemLayout.LAYER_FIRST, 17 * EngineScript.PAGE)).build()) {
      int[] a = new int[25];
      int[] b = new int[25];
      for (int i = 0; i < 25; i++) {
        a[i] = i + 1;
        b[i] = 100 + i;
      }
      run(cache, keyed, a); // 6 pages, backed up to the host (write_through)
      run(cache, keyed, b); // 6 more: a's pages leave the device, their host copies stay
      CacheRequest r = cache.admit(a);
      assertThat(r.hostHitTokens()).isPositive();
      Transfer load = r.load();
      assertThat(load.layersDone()).isZero();
      while (device.gated == null) Thread.onSpinWait(); // the I/O thread has started the copy
      device.gated.layersLanded(1);
      load.awaitLayer(0); // layer 0 is usable ...
      assertThat(load.layersDone()).isEqualTo(1); // ... while layers 1-3 are still "copying"
      CompletableFuture<Void> layer3 = CompletableFuture.runAsync(() -> {
        try {
          load.awaitLayer(3);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      device.gated.layersLanded(3);
      assertThat(layer3).isNotDone(); // (it can only finish after the last layer lands)
      device.gated.layersLanded(4);
      layer3.get(10, TimeUnit.SECONDS);
      assertThat(load.isDone()).isTrue();
      List<PageKey> keys = KeyedPages.keys(a, r.cachedTokens(), EngineScript.PAGE);
      int[] pages = r.devicePages();
      for (int i = 0; i < keys.size(); i++) assertThat(keyed.pageHolds(pages[i], keys.get(i))).isTrue();
      cache.abort(r);
      while (cache.inFlightLoads() > 0) cache.poll();
      cache.checkInvariants();
    }
  }
}
