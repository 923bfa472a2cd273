package dev.hicache.api;

/**
 * The shape of one rank's KV cache, which the device pool, the host pool and the transfer kernels
 * must agree on (docs/behaviour.md#bytes-per-token).
 *
 * <p>MHA holds a K and a V item per token and layer, each {@code kvHeads × headDim} elements. MLA
 * holds one latent item per token and layer of {@code kvLoraRank + qkRopeHeadDim} elements.
 *
 * @param layers layers on this rank
 * @param kvHeads KV heads on this rank (MHA); 1 for MLA
 * @param headDim head dimension (MHA); for MLA the latent width {@code kv_lora_rank + qk_rope_head_dim}
 * @param dtype element type
 * @param mla whether this is an MLA (latent) cache with no V
 * @param pageSize tokens per page
 */
public record KvShape(int layers, int kvHeads, int headDim, DType dtype, boolean mla, int pageSize) {

  public KvShape {
    if (layers < 1) throw new IllegalArgumentException("layers must be >= 1, got " + layers);
    if (kvHeads < 1) throw new IllegalArgumentException("kv heads must be >= 1, got " + kvHeads);
    if (headDim < 1) throw new IllegalArgumentException("head dim must be >= 1, got " + headDim);
    if (dtype == null) throw new IllegalArgumentException("dtype is required");
    if (mla && kvHeads != 1) throw new IllegalArgumentException("an MLA cache has one latent head, got " + kvHeads);
    if (pageSize < 1) throw new IllegalArgumentException("page size must be >= 1, got " + pageSize);
  }

  public static KvShape mha(int layers, int kvHeads, int headDim, DType dtype, int pageSize) {
    return new KvShape(layers, kvHeads, headDim, dtype, false, pageSize);
  }

  /** MLA with latent width {@code kvLoraRank + qkRopeHeadDim}. */
  public static KvShape mla(int layers, int kvLoraRank, int qkRopeHeadDim, DType dtype, int pageSize) {
    return new KvShape(layers, 1, kvLoraRank + qkRopeHeadDim, dtype, true, pageSize);
  }

  /** 2 for MHA (K and V), 1 for MLA. */
  public int kvParts() {
    return mla ? 1 : 2;
  }

  /** SGLang's {@code token_stride_size}: bytes of one token's K (or latent) in one layer. */
  public long itemBytes() {
    return (long) kvHeads * headDim * dtype.bytes();
  }

  /** SGLang's {@code layout_dim}: bytes of one token's K (or latent) across all layers. */
  public long layoutDim() {
    return itemBytes() * layers;
  }

  /** SGLang's {@code size_per_token}: bytes of one token across layers, K and V. */
  public long bytesPerToken() {
    return layoutDim() * kvParts();
  }

  /** Bytes of one full page across layers, K and V. */
  public long bytesPerPage() {
    return bytesPerToken() * pageSize;
  }
}
