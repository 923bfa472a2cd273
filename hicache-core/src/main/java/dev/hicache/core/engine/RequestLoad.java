package dev.hicache.core.engine;

import dev.hicache.api.spi.Transfer;
import java.util.List;

/**
 * Everything a request must wait for before reading its cached prefix: its own load-back and any
 * in-flight load-back of another request that fills pages of its device prefix. Layer N is ready
 * when it is ready in all of them.
 */
final class RequestLoad implements Transfer {
  private final int layers;
  private final List<LoadTicket> parts;

  RequestLoad(int layers, List<LoadTicket> parts) {
    this.layers = layers;
    this.parts = List.copyOf(parts);
  }

  List<LoadTicket> parts() { return parts; }

  /** Deterministic shell: when layer {@code layer} has landed in every part (0 when nothing loads). */
  long layerDueNanos(int layer) {
    long t = 0;
    for (LoadTicket p : parts) t = Math.max(t, p.layerDueNanos(layer));
    return t;
  }

  @Override public int layers() { return layers; }

  @Override public int layersDone() {
    int done = layers;
    for (LoadTicket t : parts) done = Math.min(done, t.layersDone());
    return done;
  }

  @Override public Throwable failure() {
    for (LoadTicket t : parts) if (t.failure() != null) return t.failure();
    return null;
  }

  /** Bytes of the request's own load-back only. */
  @Override public long bytes() {
    long b = 0;
    for (LoadTicket t : parts) b += t.bytes();
    return b;
  }

  @Override public void awaitLayer(int layer) throws InterruptedException {
    if (layer < 0 || layer >= layers) throw new IllegalArgumentException("layer " + layer + " is outside 0.." + (layers - 1));
    for (LoadTicket t : parts) t.awaitLayer(layer);
  }
}
