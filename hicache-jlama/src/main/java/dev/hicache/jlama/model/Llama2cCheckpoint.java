package dev.hicache.jlama.model;

import dev.hicache.jlama.engine.ModelSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a llama2.c checkpoint (karpathy/llama2.c's legacy export, e.g. the TinyStories
 * "stories260K.bin"): a header of 7 little-endian int32 — dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size (negative: the classifier is not shared with the embedding), seq_len —
 * then FP32 tensors in llama2.c's order: token embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2,
 * w3, rms_final, the precomputed RoPE tables (real and imaginary, seq_len × head_size / 2 each,
 * not needed here), then the classifier when unshared.
 *
 * <p>Matrices are stored {@code [out, in]} like Hugging Face's; q and k rows are permuted from
 * llama2.c's interleaved rotary pairs to Hugging Face's half-split order, which Jlama's Llama
 * attention uses.
 */
public final class Llama2cCheckpoint {
  private Llama2cCheckpoint() { }

  public static LlamaWeights load(Path file) throws IOException {
    long size = Files.size(file);
    if (size < 28) throw new IOException(file + ": " + size + " bytes is too short for a llama2.c header (28 bytes)");
    ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int dim = bb.getInt(), hidden = bb.getInt(), layers = bb.getInt(), heads = bb.getInt(), kvHeads = bb.getInt();
    int vocabRaw = bb.getInt(), seqLen = bb.getInt();
    boolean shared = vocabRaw > 0;
    int vocab = Math.abs(vocabRaw);
    if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab == 0 || seqLen <= 0
        || dim % heads != 0 || heads % kvHeads != 0) {
      throw new IOException(file + ": header (dim " + dim + ", hidden_dim " + hidden + ", n_layers " + layers + ", n_heads " + heads
          + ", n_kv_heads " + kvHeads + ", vocab_size " + vocabRaw + ", seq_len " + seqLen + ") is not a llama2.c model");
    }
    int headSize = dim / heads;
    int kvDim = kvHeads * headSize;
    long weights = (long) vocab * dim + (long) layers * (2L * dim + (long) dim * dim * 2 + 2L * kvDim * dim + 3L * hidden * dim) + dim;
    long rope = (long) seqLen * headSize; // real + imaginary halves
    long expected = 28 + 4 * (weights + rope + (shared ? 0 : (long) vocab * dim));
    if (size != expected) {
      throw new IOException(file + ": " + size + " bytes, a llama2.c checkpoint with this header has " + expected
          + " (28-byte header, " + weights + " weights, " + rope + " RoPE table floats" + (shared ? "" : ", an unshared classifier") + ")");
    }
    FloatBuffer f = bb.asFloatBuffer();
    NamedTensors t = new NamedTensors();
    float[] emb = take(f, vocab * dim);
    t.put("model.embed_tokens.weight", emb, vocab, dim);
    float[][] rmsAtt = split(take(f, layers * dim), layers);
    float[][] wq = split(take(f, layers * dim * dim), layers);
    float[][] wk = split(take(f, layers * kvDim * dim), layers);
    float[][] wv = split(take(f, layers * kvDim * dim), layers);
    float[][] wo = split(take(f, layers * dim * dim), layers);
    float[][] rmsFfn = split(take(f, layers * dim), layers);
    float[][] w1 = split(take(f, layers * hidden * dim), layers);
    float[][] w2 = split(take(f, layers * dim * hidden), layers);
    float[][] w3 = split(take(f, layers * hidden * dim), layers);
    float[] rmsFinal = take(f, dim);
    take(f, (int) rope);
    float[] cls = shared ? emb : take(f, vocab * dim);
    // Jlama's vector kernels take feed-forward widths in multiples of 8: pad with zero units (gate and
    // up rows of zeros, down columns of zeros), which add exactly nothing to the output.
    int padded = (hidden + 7) / 8 * 8;
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      w1[l] = java.util.Arrays.copyOf(w1[l], padded * dim);
      w3[l] = java.util.Arrays.copyOf(w3[l], padded * dim);
      w2[l] = padColumns(w2[l], dim, hidden, padded);
      t.put(p + "input_layernorm.weight", rmsAtt[l], dim);
      t.put(p + "self_attn.q_proj.weight", rotaryHalfSplit(wq[l], heads, headSize, dim), dim, dim);
      t.put(p + "self_attn.k_proj.weight", rotaryHalfSplit(wk[l], kvHeads, headSize, dim), kvDim, dim);
      t.put(p + "self_attn.v_proj.weight", wv[l], kvDim, dim);
      t.put(p + "self_attn.o_proj.weight", wo[l], dim, dim);
      t.put(p + "post_attention_layernorm.weight", rmsFfn[l], dim);
      t.put(p + "mlp.gate_proj.weight", w1[l], padded, dim);
      t.put(p + "mlp.down_proj.weight", w2[l], dim, padded);
      t.put(p + "mlp.up_proj.weight", w3[l], padded, dim);
    }
    t.put("model.norm.weight", rmsFinal, dim);
    t.put("lm_head.weight", cls, vocab, dim);
    // llama2.c: BOS 1, EOS 2; rotary base 10000; RMSNorm epsilon 1e-5.
    ModelSpec spec = new ModelSpec(layers, heads, kvHeads, headSize, vocab, seqLen, 1, 2);
    return new LlamaWeights(spec, dim, padded, 1e-5f, 10000.0, t);
  }

  /**
   * Rows of each head from llama2.c's rotary order (pairs (2i, 2i+1) rotate together) to Hugging
   * Face's (i and i + headSize/2 rotate together): the permutation of Hugging Face's
   * convert_llama_weights_to_hf.
   */
  static float[] rotaryHalfSplit(float[] w, int heads, int headSize, int in) {
    float[] out = new float[w.length];
    int half = headSize / 2;
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < half; i++) {
        for (int p = 0; p < 2; p++) {
          int from = h * headSize + 2 * i + p;
          int to = h * headSize + p * half + i;
          System.arraycopy(w, from * in, out, to * in, in);
        }
      }
    }
    return out;
  }

  private static float[] padColumns(float[] w, int rows, int cols, int paddedCols) {
    if (cols == paddedCols) return w;
    float[] out = new float[rows * paddedCols];
    for (int r = 0; r < rows; r++) System.arraycopy(w, r * cols, out, r * paddedCols, cols);
    return out;
  }

  private static float[] take(FloatBuffer f, int n) {
    float[] v = new float[n];
    f.get(v);
    return v;
  }

  private static float[][] split(float[] all, int parts) {
    int n = all.length / parts;
    float[][] out = new float[parts][];
    for (int i = 0; i < parts; i++) out[i] = java.util.Arrays.copyOfRange(all, i * n, (i + 1) * n);
    return out;
  }
}
