package dev.hicache.api;

/**
 * Strides and offsets of one KV buffer in one layout, computed once
 * (docs/behaviour.md#page-layouts). The GPU kernels, the host pool and the L3 page views all read
 * offsets from here, so two tiers cannot disagree on where a token's K of a layer lives.
 *
 * <p>An <em>item</em> is one token's K (or V, or MLA latent) in one layer: {@link
 * KvShape#itemBytes()} contiguous bytes in every layout.
 */
public final class LayoutDescriptor {
  private final KvShape shape;
  private final MemLayout layout;
  private final int tokens;
  private final long item;
  private final long partBytes;

  /**
   * @param tokens the buffer's capacity in token slots; a multiple of the page size
   */
  public LayoutDescriptor(KvShape shape, MemLayout layout, int tokens) {
    if (tokens < 0 || tokens % shape.pageSize() != 0) {
      throw new IllegalArgumentException("a KV buffer holds whole pages: " + tokens
          + " tokens is not a multiple of page size " + shape.pageSize());
    }
    this.shape = shape;
    this.layout = layout;
    this.tokens = tokens;
    this.item = shape.itemBytes();
    this.partBytes = item * shape.layers() * tokens;
  }

  public KvShape shape() { return shape; }
  public MemLayout layout() { return layout; }
  public int tokens() { return tokens; }
  public int pages() { return tokens / shape.pageSize(); }
  public long itemBytes() { return item; }

  /** Bytes of one K/V part (the whole buffer for MLA). */
  public long partBytes() { return partBytes; }

  /** Bytes of the whole buffer. */
  public long totalBytes() { return partBytes * shape.kvParts(); }

  /** Byte offset of the item (kv part, layer, token slot). */
  public long offset(int kv, int layer, int token) {
    int layers = shape.layers();
    long base = kv * partBytes;
    return switch (layout) {
      case LAYER_FIRST -> base + ((long) layer * tokens + token) * item;
      case PAGE_FIRST -> base + ((long) token * layers + layer) * item;
      case PAGE_FIRST_DIRECT -> {
        int ps = shape.pageSize();
        long page = token / ps;
        yield base + ((page * layers + layer) * ps + token % ps) * item;
      }
    };
  }

  /**
   * How many consecutive token slots starting at a page-aligned slot are contiguous in memory for
   * one (part, layer): a page for layer_first and page_first_direct, one token for page_first.
   */
  public int contiguousTokensPerLayer() {
    return layout == MemLayout.PAGE_FIRST ? 1 : shape.pageSize();
  }

  /**
   * The byte ranges that make up one page as L3 objects, starting at page-aligned slot {@code
   * firstSlot} (docs/behaviour.md#page-views-for-l3): page_first and page_first_direct give one
   * contiguous range per K/V part ({@code layers × page_size × item} bytes); layer_first gives one
   * range per part and layer. Returned as {offset0, length0, offset1, length1, ...}.
   */
  public long[] pageObjectRanges(int firstSlot) {
    if (firstSlot % shape.pageSize() != 0 || firstSlot < 0 || firstSlot >= tokens) {
      throw new IllegalArgumentException("slot " + firstSlot + " is not the first slot of a page in 0.." + tokens);
    }
    int ps = shape.pageSize();
    int parts = shape.kvParts();
    if (layout == MemLayout.LAYER_FIRST) {
      long[] r = new long[2 * parts * shape.layers()];
      int i = 0;
      for (int kv = 0; kv < parts; kv++) {
        for (int layer = 0; layer < shape.layers(); layer++) {
          r[i++] = offset(kv, layer, firstSlot);
          r[i++] = ps * item;
        }
      }
      return r;
    }
    long[] r = new long[2 * parts];
    for (int kv = 0; kv < parts; kv++) {
      r[2 * kv] = offset(kv, 0, firstSlot);
      r[2 * kv + 1] = (long) ps * shape.layers() * item;
    }
    return r;
  }

  @Override public String toString() {
    return layout.flagName() + " " + shape + " x " + tokens + " tokens";
  }
}
