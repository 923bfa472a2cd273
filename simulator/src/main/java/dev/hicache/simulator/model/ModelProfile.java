package dev.hicache.simulator.model;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a model costs the cache: KV bytes per token (per GPU of a tensor-parallel group) and the
 * compute of prefilling a token.
 *
 * <p>MHA/GQA keeps K and V: {@code 2 × layers × kvHeads × headDim × dtype} bytes per token, the KV
 * heads split over the TP ranks (replicated when TP exceeds them). MLA keeps one latent item of
 * {@code kvLoraRank + qkRopeHeadDim} elements per layer, replicated on every rank
 * (docs/behaviour.md#bytes-per-token).
 *
 * <p>Prefill compute is a function of the new tokens and of the cached ones they attend to: 2 FLOP
 * per active parameter per new token, plus attention — each new token's query meets the keys and
 * values of every earlier token (cached or new, causal): {@code 2 × layers × attentionHeads ×
 * attentionDimPerHead} FLOP per (query, key) pair, where {@code attentionDimPerHead} is the QK
 * plus the V head dimension (2 × head_dim for MHA/GQA; for MLA prefill, which runs as multi-head
 * attention over the decompressed latent, qk_nope + qk_rope + v head dims).
 *
 * @param activeParamsB parameters active per token, in billions (prefill ≈ 2 FLOP per parameter per token)
 * @param weightBytesB  bytes of all weights, in billions (what the GPUs hold besides the KV cache)
 * @param attentionHeads query heads (config.json's num_attention_heads)
 * @param attentionDimPerHead QK head dim + V head dim
 */
public record ModelProfile(String name, int layers, int kvHeads, int headDim, DType dtype, boolean mla,
    int kvLoraRank, int qkRopeHeadDim, double activeParamsB, double weightBytesB, int attentionHeads,
    int attentionDimPerHead) {

  /** Public model shapes (config.json values); "-like" = the shape, not a claim about a checkpoint. */
  public static final Map<String, ModelProfile> PRESETS = presets();

  private static Map<String, ModelProfile> presets() {
    Map<String, ModelProfile> m = new LinkedHashMap<>();
    m.put("llama-3-8b", mha("llama-3-8b", 32, 32, 8, 128, 8.0, 16.1));
    m.put("llama-3-70b", mha("llama-3-70b", 80, 64, 8, 128, 70.6, 141.1));
    m.put("qwen3-14b", mha("qwen3-14b", 40, 40, 8, 128, 14.8, 29.5));
    m.put("qwen3-235b-like", mha("qwen3-235b-like", 94, 64, 4, 128, 22.0, 470.0));
    // DeepSeek-V3: 128 query heads; qk_nope_head_dim 128 + qk_rope_head_dim 64, v_head_dim 128.
    m.put("deepseek-v3-like", new ModelProfile("deepseek-v3-like", 61, 1, 576, DType.BF16, true, 512, 64, 37.0, 671.0,
        128, MLA_NOPE_DIM + 64 + MLA_V_DIM));
    return m;
  }

  /** DeepSeek-V3's qk_nope_head_dim and v_head_dim: the defaults for an MLA model that gives none. */
  public static final int MLA_NOPE_DIM = 128, MLA_V_DIM = 128;

  private static ModelProfile mha(String name, int layers, int qHeads, int kvHeads, int headDim, double activeB,
      double weightsGB) {
    return new ModelProfile(name, layers, kvHeads, headDim, DType.BF16, false, 0, 0, activeB, weightsGB, qHeads,
        2 * headDim);
  }

  public ModelProfile {
    if (layers < 1 || kvHeads < 1 || headDim < 1) {
      throw new IllegalArgumentException("model " + name + ": layers, kv heads and head dim must be >= 1");
    }
    if (attentionHeads < 1 || attentionDimPerHead < 1) {
      throw new IllegalArgumentException("model " + name + ": attention heads and their dims must be >= 1");
    }
  }

  /** A preset by name; the error lists the names. */
  public static ModelProfile preset(String name) {
    ModelProfile p = PRESETS.get(name);
    if (p == null) {
      throw new IllegalArgumentException("unknown model '" + name + "' (presets: "
          + String.join(", ", PRESETS.keySet()) + "; or give --model-file FILE)");
    }
    return p;
  }

  public ModelProfile withDtype(DType d) {
    return new ModelProfile(name, layers, kvHeads, headDim, d, mla, kvLoraRank, qkRopeHeadDim, activeParamsB, weightBytesB,
        attentionHeads, attentionDimPerHead);
  }

  /** The KV shape of one rank of a TP group. */
  public KvShape shape(int tp, int pageSize) {
    if (tp < 1) throw new IllegalArgumentException("--tp must be >= 1, got " + tp);
    if (mla) return KvShape.mla(layers, kvLoraRank, qkRopeHeadDim, dtype, pageSize);
    return KvShape.mha(layers, Math.max(1, kvHeads / tp), headDim, dtype, pageSize);
  }

  /** KV bytes per token on one GPU of a TP group. */
  public long bytesPerTokenPerGpu(int tp) {
    return shape(tp, 1).bytesPerToken();
  }

  /** Prefill FLOP per new token outside attention's score and value products (2 per active parameter). */
  public double prefillFlopPerToken() {
    return 2 * activeParamsB * 1e9;
  }

  /** Attention FLOP per (query, key) pair, all layers: QK^T and the weighted sum of V. */
  public double attentionFlopPerTokenPair() {
    return 2.0 * layers * attentionHeads * attentionDimPerHead;
  }

  /** (query, key) pairs a causal prefill of {@code newTokens} after {@code cachedTokens} computes. */
  public static double attentionPairs(long newTokens, long cachedTokens) {
    return newTokens * (cachedTokens + (newTokens + 1) / 2.0);
  }

  public String describe(int tp) {
    return String.format("%s (%s, %d layers, %s, %s), %,d KV bytes/token per GPU at TP %d",
        name, mla ? "MLA" : "GQA/MHA", layers,
        mla ? "latent " + (kvLoraRank + qkRopeHeadDim) : kvHeads + " KV heads x " + headDim,
        dtype.flagName(), bytesPerTokenPerGpu(tp), tp);
  }
}
