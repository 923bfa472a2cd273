package dev.hicache.core.pool;

import dev.hicache.api.spi.Transfer;

/**
 * A {@link Transfer} whose producer reports layers as they land; waiters block on the object's
 * monitor. Used by the host-memory pools here, and by the engine's load tickets.
 */
public final class CopyTransfer implements Transfer {
  private final int layers;
  private final long bytes;
  private volatile int layersDone;
  private volatile Throwable failure;

  public CopyTransfer(int layers, long bytes) {
    if (layers < 1) throw new IllegalArgumentException("a transfer moves >= 1 layer, got " + layers);
    this.layers = layers;
    this.bytes = bytes;
  }

  @Override public int layers() { return layers; }
  @Override public int layersDone() { return layersDone; }
  @Override public Throwable failure() { return failure; }
  @Override public long bytes() { return bytes; }

  /** Producer: layers 0..n-1 have landed. */
  public synchronized void layersLanded(int n) {
    if (n < layersDone || n > layers) throw new IllegalArgumentException("layers done " + layersDone + " -> " + n + " of " + layers);
    layersDone = n;
    notifyAll();
  }

  /** Producer: the copy failed; waiters wake up and see the failure. */
  public synchronized void fail(Throwable t) {
    failure = t;
    notifyAll();
  }

  @Override public void awaitLayer(int layer) throws InterruptedException {
    if (layer < 0 || layer >= layers) throw new IllegalArgumentException("layer " + layer + " is outside 0.." + (layers - 1));
    if (layersDone > layer || failure != null) return;
    synchronized (this) {
      while (layersDone <= layer && failure == null) wait();
    }
  }
}
