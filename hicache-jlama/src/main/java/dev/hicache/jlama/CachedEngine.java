package dev.hicache.jlama;

import dev.hicache.api.KvShape;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.DecodeOffload;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.pool.HostMemoryDevicePool;
import dev.hicache.jlama.engine.InferenceEngine;
import dev.hicache.jlama.engine.ModelSpec;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * An inference engine with HiCache in front of its prefill: a request goes through {@link HiCache}
 * ({@code enqueue → readyToAdmit → admit}), the KV of its cached prefix — from L1, from L2, or from L3
 * through L2 — is handed to the engine, the engine computes only the rest from position N, and the
 * KV it computed (prompt and output) goes back into the request's device pages before {@code finish}
 * makes them cacheable for the next request.
 *
 * <p>Single-threaded, like the scheduler thread it stands for. Owns the cache and the pools; the L3
 * store (shared, possibly with other processes) is closed after the cache.
 */
public final class CachedEngine implements AutoCloseable {
  private final InferenceEngine engine;
  private final ModelSpec spec;
  private final HiCache cache;
  private final HostMemoryDevicePool device;
  private final L3Store l3;
  private dev.hicache.api.spi.HostPool host;
  private final int pageSize;
  private long nextRid;

  /** Builds the tiers for {@code engine}'s model; {@code namespace} seeds the page keys (null = none). */
  public CachedEngine(InferenceEngine engine, Tiers tiers, PageKey namespace, MetricsSink metrics) {
    this.engine = engine;
    this.spec = engine.spec();
    this.pageSize = tiers.pageSize();
    KvShape shape = tiers.shape(spec);
    HiCacheConfig config = HiCacheConfig.builder().pageSize(pageSize).writePolicy(WritePolicyKind.WRITE_THROUGH)
        // The prefetch waits for every page L3 has: an L3 hit is then served whole (the measured tier).
        .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).prefetchThreshold(pageSize).build();
    this.device = new HostMemoryDevicePool(shape, tiers.deviceTokens());
    this.l3 = tiers.l3().open(shape);
    HiCache.Builder b = HiCache.builder(config).devicePool(device).metrics(metrics).namespaceSeed(namespace);
    try {
      if (tiers.hostTokens() > 0) b.hostPool(host = tiers.openHostPool(spec));
      if (l3 != null) b.storage(l3);
      this.cache = b.build();
    } catch (RuntimeException e) {
      device.close();
      if (l3 != null) l3.close();
      throw e;
    }
  }

  public ModelSpec spec() { return spec; }

  /** L1: the engine's device pool (a decode role's {@link DecodeOffload} copies from it). */
  public HostMemoryDevicePool devicePool() { return device; }

  /** L2, or null (for fault-injection tests). */
  dev.hicache.api.spi.HostPool hostPool() { return host; }

  /** L3, or null (for fault-injection tests). */
  L3Store l3() { return l3; }

  /** The cache, for metrics and invariant checks. */
  public HiCache cache() { return cache; }

  /**
   * One request: prefill of {@code prompt} (reusing what the cache holds), then {@code maxNewTokens}
   * greedy tokens (fewer if EOS comes), then the KV of prompt and output into the cache.
   */
  public Turn generate(int[] prompt, int maxNewTokens) {
    return run(prompt, maxNewTokens, null);
  }

  /**
   * {@link #generate} as the decode role of prefill/decode disaggregation with decode offload: as
   * pages of prompt and output fill up while decoding, their KV goes into the request's device
   * pages and {@code offload} writes them to L3, page by page.
   */
  public Turn generate(int[] prompt, int maxNewTokens, DecodeOffload offload) {
    if (offload == null) throw new IllegalArgumentException("offload is required (use generate(prompt, n) without one)");
    return run(prompt, maxNewTokens, offload);
  }

  /**
   * The same request without the cache: a full prefill in a fresh sequence (the baseline every
   * cached answer is compared with). The cache is not touched.
   */
  public static Turn generateUncached(InferenceEngine engine, int[] prompt, int maxNewTokens) {
    checkPrompt(engine.spec(), prompt, maxNewTokens);
    long t0 = System.nanoTime();
    try (InferenceEngine.Sequence seq = engine.newSequence()) {
      float[] logits = seq.forward(prompt, 0);
      long ttft = System.nanoTime() - t0;
      int[] out = decode(engine.spec(), seq, prompt, logits, maxNewTokens, null);
      return new Turn(prompt.clone(), out, 0, 0, 0, ttft, 0, logits);
    }
  }

  private Turn run(int[] prompt, int maxNewTokens, DecodeOffload offload) {
    checkPrompt(spec, prompt, maxNewTokens);
    if (prompt.length + maxNewTokens > device.capacityTokens()) {
      // Its device pages could never all be allocated: extend would wait forever.
      throw new IllegalArgumentException("prompt of " + prompt.length + " tokens + " + maxNewTokens + " new exceeds L1's capacity of "
          + device.capacityTokens() + " tokens");
    }
    long t0 = System.nanoTime();
    long rid = nextRid++;
    cache.enqueue(rid, prompt);
    while (!cache.readyToAdmit(rid)) {
      cache.poll();
      LockSupport.parkNanos(20_000);
    }
    CacheRequest r = cache.admit(rid, prompt, 0);
    InferenceEngine.Sequence seq = engine.newSequence();
    try {
      // At least the last prompt token is computed: its logits are the first output.
      int cached = Math.min(r.cachedTokens(), prompt.length - 1);
      long h0 = System.nanoTime();
      if (!handOff(r, seq, cached)) {
        // A load-back failed: the cached prefix is not valid. Abort, and compute everything.
        cache.abort(r);
        cache.poll();
        r = null;
        cached = 0;
      }
      long handoff = System.nanoTime() - h0;
      float[] logits = seq.forward(Arrays.copyOfRange(prompt, cached, prompt.length), cached);
      long ttft = System.nanoTime() - t0;
      KvSink sink = null;
      if (offload != null && r != null) {
        CacheRequest req = r;
        DecodeOffload.Request off = offload.request();
        int[] copied = {cached};
        sink = (tokens, kvTokens) -> {
          if (kvTokens / pageSize == copied[0] / pageSize) return;
          while (!cache.extend(req, kvTokens)) {
            if (cache.poll() == 0) LockSupport.parkNanos(20_000);
          }
          copyOut(req, seq, copied[0], kvTokens);
          copied[0] = kvTokens;
          off.offload(tokens, kvTokens, req::slot);
        };
        sink.accept(prompt, prompt.length);
      }
      int[] out = decode(spec, seq, prompt, logits, maxNewTokens, sink);
      Turn turn = r == null ? new Turn(prompt.clone(), out, 0, 0, 0, ttft, handoff, logits)
          : new Turn(prompt.clone(), out, r.deviceHitTokens(), r.hostHitTokens() - r.storageHitTokens(), r.storageHitTokens(),
              ttft, handoff, logits);
      if (r != null) giveBack(r, seq, cached, turn.tokens());
      return turn;
    } finally {
      seq.close();
      cache.poll();
    }
  }

  /** Copies the cached prefix's KV, layer by layer as it lands, from the device pages into the engine. */
  private boolean handOff(CacheRequest r, InferenceEngine.Sequence seq, int cached) {
    MemorySegment buf = device.buffer();
    var layout = device.layout();
    for (int layer = 0; layer < spec.layers(); layer++) {
      try {
        r.load().awaitLayer(layer);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the cached prefix", e);
      }
      if (r.load().failure() != null) return false;
      for (int p = 0; p < cached; p++) {
        int slot = r.slot(p);
        seq.writeKv(layer, 0, p, buf, layout.offset(0, layer, slot));
        seq.writeKv(layer, 1, p, buf, layout.offset(1, layer, slot));
      }
    }
    return true;
  }

  /** Writes the KV the engine computed into the request's device pages and finishes the request. */
  private void giveBack(CacheRequest r, InferenceEngine.Sequence seq, int cached, int[] tokens) {
    int kvTokens = tokens.length - 1; // the last token was sampled, never forwarded
    while (!cache.extend(r, kvTokens)) {
      if (cache.poll() == 0) LockSupport.parkNanos(20_000);
    }
    copyOut(r, seq, cached, kvTokens);
    cache.finish(r, tokens, kvTokens);
  }

  /** Copies the KV of positions [from, to) from the engine into the request's device pages. */
  private void copyOut(CacheRequest r, InferenceEngine.Sequence seq, int from, int to) {
    MemorySegment buf = device.buffer();
    var layout = device.layout();
    for (int layer = 0; layer < spec.layers(); layer++) {
      for (int p = from; p < to; p++) {
        int slot = r.slot(p);
        seq.readKv(layer, 0, p, buf, layout.offset(0, layer, slot));
        seq.readKv(layer, 1, p, buf, layout.offset(1, layer, slot));
      }
    }
  }

  /** Told, after each forward pass, the tokens so far and how many positions have KV. */
  private interface KvSink {
    void accept(int[] tokens, int kvTokens);
  }

  private static int[] decode(ModelSpec spec, InferenceEngine.Sequence seq, int[] prompt, float[] first, int maxNewTokens, KvSink sink) {
    int[] all = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
    float[] logits = first;
    int n = 0;
    while (n < maxNewTokens) {
      int next = argmax(logits);
      all[prompt.length + n++] = next;
      if (next == spec.eosToken() || n == maxNewTokens) break;
      logits = seq.forward(new int[] {next}, prompt.length + n - 1);
      if (sink != null) sink.accept(Arrays.copyOf(all, prompt.length + n), prompt.length + n);
    }
    return Arrays.copyOfRange(all, prompt.length, prompt.length + n);
  }

  /** Greedy sampling: the first of the largest logits. */
  public static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }

  private static void checkPrompt(ModelSpec spec, int[] prompt, int maxNewTokens) {
    if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
    if (maxNewTokens < 1) throw new IllegalArgumentException("max new tokens must be at least 1, got " + maxNewTokens);
    if (prompt.length + maxNewTokens > spec.contextLength()) {
      throw new IllegalArgumentException("prompt of " + prompt.length + " tokens + " + maxNewTokens + " new exceeds the model's context of "
          + spec.contextLength());
    }
    for (int i = 0; i < prompt.length; i++) {
      if (prompt[i] < 0 || prompt[i] >= spec.vocabSize()) {
        throw new IllegalArgumentException("prompt token " + i + " is " + prompt[i] + ", outside the vocabulary [0, " + spec.vocabSize() + ")");
      }
    }
  }

  /** Drains and closes the cache (and its pools), then L3. */
  @Override public void close() {
    try {
      cache.close();
    } finally {
      if (l3 != null) l3.close();
    }
  }

  /**
   * One request's outcome.
   *
   * @param prompt the prompt
   * @param output the greedy tokens
   * @param deviceTokens prompt tokens whose KV was on L1
   * @param hostTokens prompt tokens loaded back from L2 (not counting L3's)
   * @param storageTokens prompt tokens prefetched from L3 (through L2)
   * @param ttftNanos from enqueue to the first token's logits
   * @param handoffNanos of which: copying the cached prefix's KV into the engine (waiting for loads included)
   * @param firstLogits the logits of the last prompt position
   */
  public record Turn(int[] prompt, int[] output, int deviceTokens, int hostTokens, int storageTokens, long ttftNanos,
      long handoffNanos, float[] firstLogits) {
    public int cachedTokens() { return deviceTokens + hostTokens + storageTokens; }

    /** Prompt then output. */
    public int[] tokens() {
      int[] t = Arrays.copyOf(prompt, prompt.length + output.length);
      System.arraycopy(output, 0, t, prompt.length, output.length);
      return t;
    }
  }
}
