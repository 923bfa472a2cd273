package dev.hicache.core.util;

import java.util.List;

/** Thread helpers shared by the shells' I/O ports. */
public final class Threads {
  private Threads() {}

  /**
   * Waits for every thread to end, even if the caller is interrupted meanwhile (a port's close must
   * not return while an I/O thread still touches memory the caller is about to free); the interrupt
   * is re-asserted afterwards.
   */
  public static void joinAll(List<Thread> threads) {
    boolean interrupted = false;
    for (Thread t : threads) {
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }
}
