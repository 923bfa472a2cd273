package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.pool.HostMemoryDevicePool;
import dev.hicache.core.pool.OffHeapHostPool;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Store;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The README's engine loop, compiled and run: a toy model whose KV of a token is a hash of its prefix. */
class ReadmeExampleTest {
  /** The toy model's K (kv 0) or V (kv 1) of position p in a layer: a hash of tokens[0..p]. */
  static long toyKv(int[] tokens, int p, int layer, int kv) {
    long h = 1125899906842597L + 31L * layer + kv;
    for (int i = 0; i <= p; i++) h = 31 * h + tokens[i];
    return h;
  }

  @Test void engineLoop_reusesDeviceHostAndL3Kv_andEveryCachedByteIsRight() throws InterruptedException {
    Random rnd = new Random(1);
    int[][] chats = new int[8][0];
    long checked = 0;
    // --- README snippet ---
    KvShape shape = KvShape.mha(4, 2, 64, DType.BF16, 16);           // layers, kv heads, head dim, dtype, page
    HiCacheConfig config = HiCacheConfig.builder().pageSize(16).writePolicy(WritePolicyKind.WRITE_THROUGH)
        .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).build(); // not SGLang's best_effort: see below
    InMemoryMetrics metrics = new InMemoryMetrics();
    HostMemoryDevicePool device = new HostMemoryDevicePool(shape, 64 * 16);  // L1: 64 pages
    OffHeapHostPool host = OffHeapHostPool.sized(config, shape, device.capacityTokens()); // L2: hicacheRatio 2
    LocalL3Config l3Config = LocalL3Config.processPrivate(4 << 20 << 5, shape.bytesPerPage() + 16, 2); // L3: 128 MiB
    try (LocalL3Store l3 = LocalL3Store.open(l3Config);
         HiCache cache = HiCache.builder(config).devicePool(device).hostPool(host).storage(l3).metrics(metrics).build()) {
      long rid = 0;
      for (int turn = 0; turn < 4; turn++) {
        for (int c = 0; c < chats.length; c++) {
          int[] prompt = Arrays.copyOf(chats[c], chats[c].length + 100);       // the chat so far + a new message
          for (int i = chats[c].length; i < prompt.length; i++) prompt[i] = rnd.nextInt(32000);
          cache.enqueue(++rid, prompt);                     // prefetch from L3 what L1 and L2 miss
          while (!cache.readyToAdmit(rid)) cache.poll();    // wait_complete: until it has landed in L2
          CacheRequest r = cache.admit(rid, prompt, 0);     // match; host part loads back; node locked
          int[] tokens = Arrays.copyOf(prompt, prompt.length + 1);
          while (!cache.extend(r, tokens.length)) cache.poll();  // device slots for what we compute
          for (int layer = 0; layer < shape.layers(); layer++) {
            r.load().awaitLayer(layer);                     // layer N of the cached prefix has landed
            for (int p = 0; p < r.cachedTokens(); p++) {    // attention reads the cached KV ...
              long k = device.buffer().get(ValueLayout.JAVA_LONG_UNALIGNED, device.layout().offset(0, layer, r.slot(p)));
              assertThat(k).isEqualTo(toyKv(prompt, p, layer, 0));
              checked++;
            }
            for (int p = r.cachedTokens(); p < prompt.length; p++) { // ... and writes the new KV
              for (int kv = 0; kv < 2; kv++) {
                device.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, device.layout().offset(kv, layer, r.slot(p)),
                    toyKv(prompt, p, layer, kv));
              }
            }
          }
          tokens[prompt.length] = rnd.nextInt(32000);       // the sampled token (its KV is not computed yet)
          cache.finish(r, tokens, prompt.length);           // pages join the tree; write_through backs them up
          cache.poll();                                     // apply finished copies
          chats[c] = tokens;
        }
      }
      cache.checkInvariants();
    }
    System.out.print(metrics.dump());
    // --- end of README snippet ---
    assertThat(metrics.counter("cached_tokens", "device")).isPositive();
    assertThat(metrics.counter("cached_tokens", "host")).isPositive();
    assertThat(checked).isEqualTo(shape.layers() * (metrics.counter("cached_tokens", "device")
        + metrics.counter("cached_tokens", "host") + metrics.counter("cached_tokens", "storage")));
    assertThat(device.outstandingBytes() + host.outstandingBytes()).isZero();
    // L3 hits need the L3 writes (the store's I/O threads) to keep up with this loop. On a machine
    // loaded far past its cores they fall behind: host memory fills with pages waiting for their L3
    // write, later backups are skipped, and the prefetches find nothing in L3 yet. Such a run says
    // nothing about whether L3 serves hits, so it is skipped here (every byte above was still checked).
    long skipped = metrics.counter("hicache_backup_skipped_tokens");
    assumeTrue(skipped == 0, () -> "L3 writes fell behind on this loaded machine (" + skipped
        + " backup tokens skipped: host memory full of pages waiting for their L3 write); the L3-hit claim is not decided by this run");
    assertThat(metrics.counter("cached_tokens", "storage")).as("L3 hits").isPositive();
  }
}
