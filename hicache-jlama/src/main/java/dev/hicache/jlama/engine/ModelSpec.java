package dev.hicache.jlama.engine;

/**
 * The shape of a decoder-only model as the cache sees it: what one token's KV occupies per layer.
 *
 * @param layers transformer layers
 * @param heads query heads
 * @param kvHeads key/value heads (equal to {@code heads} for MHA, fewer for GQA)
 * @param headDim dimension of one head
 * @param vocabSize logits per position
 * @param contextLength the most positions one sequence may have
 * @param bosToken the token every prompt starts with
 * @param eosToken the token that ends a generation
 */
public record ModelSpec(int layers, int heads, int kvHeads, int headDim, int vocabSize, int contextLength, int bosToken,
    int eosToken) {
  public ModelSpec {
    if (layers < 1 || heads < 1 || kvHeads < 1 || headDim < 1 || vocabSize < 1 || contextLength < 1) {
      throw new IllegalArgumentException("model spec: every size must be positive, got layers " + layers + ", heads " + heads
          + ", kv heads " + kvHeads + ", head dim " + headDim + ", vocab " + vocabSize + ", context " + contextLength);
    }
    if (heads % kvHeads != 0) throw new IllegalArgumentException("model spec: heads " + heads + " is not a multiple of kv heads " + kvHeads);
  }

  /** Floats of K (or of V) of one token in one layer. */
  public int kvRowFloats() { return kvHeads * headDim; }
}
