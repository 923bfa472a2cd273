package dev.hicache.api;

import java.util.Locale;

/**
 * Host KV buffer layouts, {@code --hicache-mem-layout} (docs/behaviour.md#page-layouts). The device
 * pool is always layer-first. The K/V index is the outermost dimension of every MHA layout.
 */
public enum MemLayout {
  /** MHA (2, layer, token, head, dim); MLA (layer, token, 1, kv_dim). */
  LAYER_FIRST,
  /** MHA (2, token, layer, head, dim); MLA (token, layer, 1, kv_dim). */
  PAGE_FIRST,
  /** MHA (2, page, layer, page_size, head, dim); MLA (page, layer, page_size, 1, kv_dim). */
  PAGE_FIRST_DIRECT;

  /** The flag value: layer_first, page_first, page_first_direct. */
  public String flagName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static MemLayout parse(String s) {
    for (MemLayout l : values()) if (l.flagName().equals(s)) return l;
    throw new IllegalArgumentException("memLayout (SGLang's --hicache-mem-layout): unknown layout '" + s
        + "' (expected layer_first, page_first or page_first_direct)");
  }
}
