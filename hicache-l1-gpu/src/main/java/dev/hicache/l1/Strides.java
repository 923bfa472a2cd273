package dev.hicache.l1;

import dev.hicache.api.LayoutDescriptor;

/**
 * One KV buffer's layout as the four strides the native code takes: the item (kv part, layer,
 * token slot) lives at {@code kv*kv + layer*layer + (slot / pageSize)*page + (slot % pageSize)*token}.
 *
 * <p>The strides are read off the api's {@link LayoutDescriptor} (never re-derived from the layout
 * name) and checked against its {@code offset} at every corner and a spread of slots, so the kernels
 * and the host pool cannot disagree: a layout the affine form cannot express fails here, loudly.
 */
record Strides(long kv, long layer, long page, long token) {

  static Strides of(LayoutDescriptor d) {
    int ps = d.shape().pageSize();
    long o = d.offset(0, 0, 0);
    long kv = d.shape().kvParts() > 1 ? d.offset(1, 0, 0) - o : d.partBytes();
    long layer = d.shape().layers() > 1 ? d.offset(0, 1, 0) - o : 0;
    long token = ps > 1 ? d.offset(0, 0, 1) - o : 0;
    long page = d.pages() > 1 ? d.offset(0, 0, ps) - o : 0;
    Strides s = new Strides(kv, layer, page, token);
    if (o != 0) throw new IllegalArgumentException(d + ": item (0,0,0) is at " + o + ", not 0");
    int[] slots = {0, 1, ps - 1, ps, d.tokens() - 1, d.tokens() / 2, d.tokens() / 3, ps * 7 + 3};
    for (int kvp = 0; kvp < d.shape().kvParts(); kvp++) {
      for (int l : new int[] {0, 1, d.shape().layers() - 1, d.shape().layers() / 2}) {
        if (l < 0 || l >= d.shape().layers()) continue;
        for (int t : slots) {
          if (t < 0 || t >= d.tokens()) continue;
          long want = d.offset(kvp, l, t);
          long got = s.offset(kvp, l, t, ps);
          if (want != got) {
            throw new IllegalArgumentException(d + " is not affine in (kv, layer, page, token): item (" + kvp + ", "
                + l + ", " + t + ") is at " + want + ", strides " + s + " give " + got);
          }
        }
      }
    }
    return s;
  }

  long offset(int kvPart, int layerIndex, int slot, int pageSize) {
    return kvPart * kv + layerIndex * layer + (long) (slot / pageSize) * page + (long) (slot % pageSize) * token;
  }

  /** Whether the {@code pageSize} tokens of one (part, layer, page) are one contiguous run. */
  boolean pageRunContiguous(long itemBytes, int pageSize) {
    return pageSize == 1 || token == itemBytes;
  }

  long[] toArray() {
    return new long[] {kv, layer, page, token};
  }
}
