package dev.hicache.jlama.engine;

import com.github.tjake.jlama.math.ActivationFunction;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.llama.LlamaConfig;
import com.github.tjake.jlama.model.llama.LlamaModel;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.MachineSpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * {@link InferenceEngine} on Jlama's Llama model (FP32 weights and KV): Jlama's {@code
 * batchForward(tokens, start, kvBuffer)} computes from any position over a {@code KvBuffer} whose
 * rows we read and write directly.
 *
 * <p>Jlama's KV buffer owns its memory (pages of {@code [layers, 2, positions, kvHeads × headDim]}
 * it allocates itself) and its attention reads a contiguous run of positions, so HiCache's device
 * pages cannot be wrapped in place: the cached prefix is copied in row by row (see docs/jlama.md for
 * the cost of that hand-off).
 */
public final class JlamaEngine implements InferenceEngine {
  private final Model model;
  private final KvBufferCache kvCache;
  private final ModelSpec spec;
  private final int dim;

  /**
   * A Llama model with these sizes and weights under Hugging Face's tensor names ({@code
   * model.embed_tokens.weight}, {@code model.layers.N.self_attn.q_proj.weight}, ...; q/k rows in
   * Hugging Face's rotary order).
   */
  public JlamaEngine(ModelSpec spec, int dim, int hiddenDim, float normEps, double ropeTheta, WeightLoader weights) {
    if (spec.heads() * spec.headDim() != dim) {
      throw new IllegalArgumentException("Jlama's Llama needs heads × head dim = dim: " + spec.heads() + " × " + spec.headDim() + " != " + dim);
    }
    checkVectorWidth(spec.headDim(), switch (MachineSpec.VECTOR_TYPE) {
      case AVX_512 -> 16;
      case AVX_256 -> 8;
      case ARM_128 -> 4;
      case NONE -> 0; // no Vector API: Jlama's scalar kernels
    });
    LlamaConfig config = new LlamaConfig(spec.contextLength(), dim, hiddenDim, spec.heads(), spec.kvHeads(), spec.layers(), normEps,
        spec.vocabSize(), spec.bosToken(), Integer.valueOf(spec.eosToken()), ActivationFunction.Type.SILU, ropeTheta, null);
    this.model = new Model(config, weights);
    this.kvCache = new KvBufferCache(model);
    this.spec = spec;
    this.dim = dim;
  }

  /**
   * Jlama 0.8.4's attention scores a head with whole vectors of the width it picked for this JVM
   * ({@code MachineSpec.VECTOR_TYPE}, from the Vector API's preferred species): a head
   * of fewer floats than one vector holds is read past its end (an IndexOutOfBoundsException in
   * the middle of a forward pass, seen with AVX-512's 16 floats and a head of 8). Refused up front,
   * naming the JVM flag that narrows the vectors (docs/jlama.md#vector-width-heads-narrower-than-one-vector).
   */
  public static void checkVectorWidth(int headDim, int floatsPerVector) {
    if (headDim >= floatsPerVector) return;
    int bytes = Integer.highestOneBit(headDim) * Float.BYTES;
    throw new IllegalStateException("Jlama's attention reads a head of " + headDim + " floats with vectors of "
        + floatsPerVector + " floats (" + floatsPerVector * Float.BYTES * 8 + " bits, this JVM's preferred width) and would read"
        + " past its end: run the JVM with -XX:MaxVectorSize=" + Math.max(bytes, 16) + " (docs/jlama.md#vector-width-heads-narrower-than-one-vector)");
  }

  @Override public ModelSpec spec() { return spec; }

  @Override public Sequence newSequence() { return new JlamaSequence(kvCache.getEphemeralKvBuffer()); }

  @Override public void close() {
    kvCache.close();
    model.close();
  }

  /** Jlama's Llama with the raw logits of a position exposed (Jlama's own getLogits applies softmax). */
  private static final class Model extends LlamaModel {
    Model(LlamaConfig config, WeightLoader weights) {
      super(config, weights, null, DType.F32, DType.F32, Optional.empty());
    }

    float[] logits(AbstractTensor hidden) {
      try (AbstractTensor normed = sampleOutput.getOutputLayerNorm().forward(hidden)) {
        AbstractTensor w = sampleOutput.getOutputLogitsWeights();
        float[] out = new float[c.vocabularySize];
        for (int v = 0; v < out.length; v++) out[v] = TensorOperationsProvider.get().dotProduct(normed, w.slice(v), c.embeddingLength);
        return out;
      }
    }
  }

  private final class JlamaSequence implements Sequence {
    private final KvBufferCache.KvBuffer kv;
    private final long rowBytes = (long) spec.kvRowFloats() * Float.BYTES;
    private boolean closed;

    JlamaSequence(KvBufferCache.KvBuffer kv) {
      this.kv = kv;
    }

    @Override public float[] forward(int[] tokens, int start) {
      check(start, tokens.length);
      if (tokens.length == 0) throw new IllegalArgumentException("forward: no tokens");
      AbstractTensor out = model.batchForward(tokens, start, kv);
      // batchForward returns the rows of its last chunk; the last row is the last token's.
      AbstractTensor last = out.dims() == 1 ? out : out.slice(out.shape().first() - 1);
      float[] logits = model.logits(last);
      out.close();
      return logits;
    }

    @Override public void writeKv(int layer, int kvIndex, int position, MemorySegment src, long offset) {
      MemorySegment.copy(src, offset, row(layer, kvIndex, position), 0, rowBytes);
    }

    @Override public void readKv(int layer, int kvIndex, int position, MemorySegment dst, long offset) {
      MemorySegment.copy(row(layer, kvIndex, position), 0, dst, offset, rowBytes);
    }

    private MemorySegment row(int layer, int kvIndex, int position) {
      if (layer < 0 || layer >= spec.layers() || (kvIndex != 0 && kvIndex != 1)) {
        throw new IndexOutOfBoundsException("layer " + layer + " / kv " + kvIndex);
      }
      check(position, 1);
      AbstractTensor t = kvIndex == 0 ? kv.getKeyTensorForPosition(layer, position) : kv.getValTensorForPosition(layer, position);
      return t.getMemorySegment().asSlice((long) t.getMemorySegmentOffset(0), rowBytes);
    }

    private void check(int start, int n) {
      if (closed) throw new IllegalStateException("sequence is closed");
      if (start < 0 || start + n > spec.contextLength()) {
        throw new IndexOutOfBoundsException("positions [" + start + ", " + (start + n) + ") outside the context of " + spec.contextLength());
      }
    }

    @Override public void close() {
      if (!closed) {
        closed = true;
        kv.close();
      }
    }
  }

  /** Float view helper for tests: K or V row of one position as floats. */
  public static float[] floats(MemorySegment seg, long offset, int n) {
    float[] f = new float[n];
    MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT_UNALIGNED, offset, f, 0, n);
    return f;
  }

  int dim() { return dim; }

  AbstractModel jlama() { return model; }
}
