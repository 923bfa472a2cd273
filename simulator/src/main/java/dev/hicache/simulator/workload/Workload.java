package dev.hicache.simulator.workload;

import java.io.Closeable;
import java.io.IOException;

/** A stream of requests in arrival order. */
public interface Workload extends Closeable {
  /** Fills {@code r} with the next request; false at the end. */
  boolean next(Request r) throws IOException;

  /** One line for reports: what this workload is. */
  String describe();

  /** The name of the per-group dimension ("round"), or null when groups mean nothing. */
  default String groupName() {
    return null;
  }

  /**
   * The engine finished {@code r} (prefill done, and decode when it is charged) at {@code
   * finishedAtNanos}: closed-loop workloads queue the client's next turn from here.
   */
  default void completed(Request r, long finishedAtNanos) {}

  /**
   * True when the requests do not depend on the engine: {@link #next} never reads what {@link
   * #completed} was told (and that does nothing), so the stream may be read ahead on another thread
   * ({@link ReadAheadWorkload}). False by default (closed-loop workloads queue turns on completion).
   */
  default boolean openLoop() {
    return false;
  }

  /**
   * A closed-loop workload that can be driven one send attempt at a time (the replay on shared
   * links, where completions are known only in global time order): when its next attempt happens,
   * {@link Long#MAX_VALUE} once no request remains; {@link Long#MIN_VALUE} (the default) when it
   * cannot be driven so.
   */
  default long nextAttemptNanos() {
    return Long.MIN_VALUE;
  }

  /**
   * One send attempt at {@link #nextAttemptNanos()}, after every completion up to then was
   * reported: true with {@code r} filled if a request goes out, false if none does then.
   */
  default boolean attempt(Request r) throws IOException {
    throw new UnsupportedOperationException(describe() + " cannot be driven one send attempt at a time");
  }

  /**
   * A prefix the application pins whenever a request carrying it is served
   * (docs/simulator.md#pinned-system-prompt), or null (the default): none.
   */
  default int[] pinnedPrefix() {
    return null;
  }

  @Override default void close() throws IOException {}
}
