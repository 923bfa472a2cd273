package dev.hicache.jlama.model;

import dev.hicache.jlama.engine.JlamaEngine;
import dev.hicache.jlama.engine.ModelSpec;
import java.util.SplittableRandom;

/**
 * A Llama model's sizes plus its weights; {@link #engine()} builds it in Jlama.
 *
 * @param spec what the cache sees
 * @param dim the residual width (heads × head dim)
 * @param hiddenDim the feed-forward width
 * @param normEps RMSNorm's epsilon
 * @param ropeTheta the rotary base
 * @param tensors weights under Hugging Face's names
 */
public record LlamaWeights(ModelSpec spec, int dim, int hiddenDim, float normEps, double ropeTheta, NamedTensors tensors) {

  public JlamaEngine engine() {
    return new JlamaEngine(spec, dim, hiddenDim, normEps, ropeTheta, tensors);
  }

  /**
   * A deterministic random-weight Llama (no file): the same {@code seed} and sizes give the same
   * weights, bit for bit. Scaled so activations stay finite through every layer; its text is
   * noise, its computation is a real model's. {@code kvHeads == heads} makes it plain MHA.
   */
  public static LlamaWeights random(long seed, int layers, int heads, int kvHeads, int headDim, int hiddenDim, int vocab,
      int contextLength) {
    int dim = heads * headDim;
    int kvDim = kvHeads * headDim;
    ModelSpec spec = new ModelSpec(layers, heads, kvHeads, headDim, vocab, contextLength, 1, 2);
    NamedTensors t = new NamedTensors();
    SplittableRandom root = new SplittableRandom(seed);
    t.put("model.embed_tokens.weight", uniform(root.split(), vocab * dim, 1f), vocab, dim);
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      t.put(p + "input_layernorm.weight", ones(dim), dim);
      t.put(p + "post_attention_layernorm.weight", ones(dim), dim);
      float s = (float) (1 / Math.sqrt(dim));
      t.put(p + "self_attn.q_proj.weight", uniform(root.split(), dim * dim, s), dim, dim);
      t.put(p + "self_attn.k_proj.weight", uniform(root.split(), kvDim * dim, s), kvDim, dim);
      t.put(p + "self_attn.v_proj.weight", uniform(root.split(), kvDim * dim, s), kvDim, dim);
      t.put(p + "self_attn.o_proj.weight", uniform(root.split(), dim * dim, s), dim, dim);
      t.put(p + "mlp.gate_proj.weight", uniform(root.split(), hiddenDim * dim, s), hiddenDim, dim);
      t.put(p + "mlp.up_proj.weight", uniform(root.split(), hiddenDim * dim, s), hiddenDim, dim);
      t.put(p + "mlp.down_proj.weight", uniform(root.split(), dim * hiddenDim, (float) (1 / Math.sqrt(hiddenDim))), dim, hiddenDim);
    }
    t.put("model.norm.weight", ones(dim), dim);
    t.put("lm_head.weight", uniform(root.split(), vocab * dim, (float) (1 / Math.sqrt(dim))), vocab, dim);
    return new LlamaWeights(spec, dim, hiddenDim, 1e-5f, 10000.0, t);
  }

  private static float[] uniform(SplittableRandom r, int n, float scale) {
    float[] v = new float[n];
    // sqrt(3) makes the uniform's standard deviation equal to scale.
    float a = (float) (scale * Math.sqrt(3));
    for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * a);
    return v;
  }

  private static float[] ones(int n) {
    float[] v = new float[n];
    java.util.Arrays.fill(v, 1f);
    return v;
  }
}
