package dev.hicache.l1;

import dev.hicache.api.spi.Transfer;

/**
 * An in-flight copy between the device pool and a host pool, completed by CUDA events recorded on
 * the pool's stream: one per layer for a layer-by-layer load (SGLang's layer-done counter), one
 * for the whole transfer otherwise. Polling queries the events (never blocks); {@link #awaitLayer}
 * blocks the calling thread on the layer's event. Events go back to the pool once every one has
 * completed and no thread waits on them.
 */
final class CudaTransfer implements Transfer {
  private final CudaDevicePool pool;
  private final long[] events;
  /** Layers complete once events[k] has completed. */
  private final int[] layersAt;
  private final int layers;
  private final long bytes;
  private int polled;  // events known complete
  private int layersDone;
  private Throwable failure;
  private int waiters;
  private boolean released;

  CudaTransfer(CudaDevicePool pool, long[] events, int[] layersAt, int layers, long bytes) {
    this.pool = pool;
    this.events = events;
    this.layersAt = layersAt;
    this.layers = layers;
    this.bytes = bytes;
  }

  /** A transfer that failed while being issued. */
  static CudaTransfer failed(CudaDevicePool pool, int layers, long bytes, Throwable why) {
    CudaTransfer t = new CudaTransfer(pool, new long[0], new int[0], layers, bytes);
    t.failure = why;
    t.released = true;
    return t;
  }

  @Override public int layers() {
    return layers;
  }

  @Override public long bytes() {
    return bytes;
  }

  @Override public synchronized int layersDone() {
    poll();
    return layersDone;
  }

  @Override public synchronized Throwable failure() {
    poll();
    return failure;
  }

  @Override public void awaitLayer(int layer) throws InterruptedException {
    if (layer < 0 || layer >= layers) {
      throw new IllegalArgumentException("layer " + layer + " is not in 0.." + (layers - 1));
    }
    long event;
    synchronized (this) {
      poll();
      if (layersDone > layer || failure != null) return;
      if (Thread.interrupted()) throw new InterruptedException();
      int k = polled;
      while (layersAt[k] <= layer) k++;
      event = events[k];
      waiters++;
    }
    try {
      CudaNative.eventSynchronize(event);
    } catch (CudaException e) {
      synchronized (this) {
        if (failure == null) failure = e;
      }
    } finally {
      synchronized (this) {
        waiters--;
        poll();
      }
    }
  }

  /** Polls the events in order; releases them once all are done (or one failed) and nobody waits. */
  private void poll() {
    if (released) return;
    while (polled < events.length && failure == null) {
      int rc = CudaNative.eventQuery(events[polled]);
      if (rc == CudaNative.CUDA_SUCCESS) {
        layersDone = layersAt[polled];
        polled++;
      } else if (rc == CudaNative.CUDA_ERROR_NOT_READY) {
        break;
      } else {
        failure = new CudaException(rc, "cudaEventQuery (transfer of " + bytes + " bytes)");
      }
    }
    if ((polled == events.length || failure != null) && waiters == 0) {
      released = true;
      pool.releaseTransfer(this, events);
    }
  }

  /** Called by the pool's close after its streams are synchronized: settle and hand the events back. */
  synchronized void settle() {
    poll();
    if (!released) {
      if (failure == null) failure = new IllegalStateException("the device pool was closed before this transfer settled");
      released = true;
      pool.releaseTransfer(this, events);
    }
  }

  @Override public synchronized String toString() {
    return "CudaTransfer[" + bytes + " bytes, " + layersDone + "/" + layers + " layers"
        + (failure != null ? ", failed: " + failure : "") + "]";
  }
}
