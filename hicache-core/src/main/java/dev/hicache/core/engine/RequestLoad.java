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
  /**
   * An array, not a list: the deterministic shell asks {@link #layerDueNanos} for every layer of
   * every request, and an immutable list's iterator per call was a visible share of a full-engine
   * replay's allocation (benchmarks.md, "simulator: the full engine on a ten-hour trace").
   */
  private final LoadTicket[] parts;

  RequestLoad(int layers, List<LoadTicket> parts) {
    this.layers = layers;
    this.parts = parts.toArray(new LoadTicket[0]);
    for (LoadTicket p : this.parts) java.util.Objects.requireNonNull(p, "load ticket");
  }

  List<LoadTicket> parts() { return List.of(parts); }

  /** Deterministic shell: when layer {@code layer} has landed in every part (0 when nothing loads). */
  long layerDueNanos(int layer) {
    long t = 0;
    for (int i = 0; i < parts.length; i++) t = Math.max(t, parts[i].layerDueNanos(layer));
    return t;
  }

  @Override public int layers() { return layers; }

  @Override public int layersDone() {
    int done = layers;
    for (int i = 0; i < parts.length; i++) done = Math.min(done, parts[i].layersDone());
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
