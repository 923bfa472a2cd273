package dev.hicache.core.engine;

import dev.hicache.api.spi.Transfer;
import dev.hicache.core.pool.CopyTransfer;
import java.util.function.BooleanSupplier;
import dev.hicache.core.sim.SharedLink;

/**
 * One load-back (H→D) as the serving engine sees it: SGLang's layer-done counter. Layer N may be
 * read as soon as {@code layersDone() > N}. In the deterministic shell, waiting advances virtual
 * time instead of blocking, so the same engine loop runs in both shells.
 */
public final class LoadTicket implements Transfer {
  /** Advances a deterministic shell until a condition holds. */
  interface Driver {
    void runUntil(BooleanSupplier condition);
  }

  final long op;
  final CopyTransfer progress;
  /** Deterministic shell only: when the copy starts and ends in virtual time (layers land evenly in between). */
  long virtualStart = -1;
  long virtualDue = -1;
  /** Deterministic shell on a shared link: the copy's share of it, once the copy heads its stream. */
  boolean onSharedLink;
  SharedLink.Transfer transfer;
  private final Driver driver;

  LoadTicket(long op, int layers, long bytes, Driver driver) {
    this.op = op;
    this.progress = new CopyTransfer(layers, bytes);
    this.driver = driver;
  }

  @Override public int layers() { return progress.layers(); }
  @Override public int layersDone() { return progress.layersDone(); }
  @Override public Throwable failure() { return progress.failure(); }
  @Override public long bytes() { return progress.bytes(); }

  /** Deterministic shell: when layer {@code layer} lands in virtual time (layers land evenly over the copy). */
  long layerDueNanos(int layer) {
    if (onSharedLink) {
      // Re-timed by every transfer that joins or leaves the link: known once the copy is done.
      if (transfer == null || !transfer.done()) {
        throw new IllegalStateException("load " + op + " is still in flight on a shared link: its layers' times are not"
            + " known yet");
      }
      return transfer.timeAtFraction(layer + 1, layers());
    }
    if (virtualDue < 0) return 0;
    return virtualStart + (virtualDue - virtualStart) * (layer + 1) / layers();
  }

  @Override public void awaitLayer(int layer) throws InterruptedException {
    if (driver != null) driver.runUntil(() -> progress.layersDone() > layer || progress.failure() != null);
    progress.awaitLayer(layer);
  }
}
