package dev.hicache.api.spi;

/**
 * An asynchronous copy between the device and the host pool: a backup (device → host, all layers
 * at once) or a load (host → device, layer by layer so that layer N's attention can start as soon
 * as layer N has arrived — SGLang's layer-done counter, docs/behaviour.md#layer-wise-load).
 *
 * <p>Polling never blocks; the core only polls. {@link #awaitLayer} exists for a serving engine's
 * forward pass, which must wait for a layer before reading it.
 */
public interface Transfer {
  /** Layers this transfer moves. */
  int layers();

  /** Layers that have fully arrived (for a backup: 0 until done, then all). */
  int layersDone();

  default boolean isDone() {
    return layersDone() == layers() || failure() != null;
  }

  /** Non-null when the copy failed; the pages it covers must then be treated as absent. */
  Throwable failure();

  /** Bytes this transfer moves. */
  long bytes();

  /** Blocks until layer {@code layer} has arrived (or the transfer failed). */
  void awaitLayer(int layer) throws InterruptedException;

  default void await() throws InterruptedException {
    awaitLayer(layers() - 1);
  }
}
