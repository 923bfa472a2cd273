package dev.hicache.simulator.workload;

import dev.hicache.simulator.virtualtime.TieredSimulation;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * An {@linkplain Workload#openLoop() open-loop} workload read ahead on a second thread: while the
 * engine serves one request, the next ones are read (trace parsing, token ids) and, with a page
 * size, their page keys computed (and, given the router's key function, their routing keys) ({@link PromptPageKeys}: from the page serials a trace gives with
 * {@code --page-keys serial}, one SHA-256 block per page, a {@link SerialKeyMemo} taking the pages
 * a recent prompt shared; otherwise SGLang's SHA-256 of every full
 * page's tokens, chained, as {@link TieredSimulation#pageKeys}, which would be the engine's largest
 * single cost with L3, a {@link BlockKeyMemo} skipping the trace blocks seen before after the same
 * prior). The replay is single-threaded and the machine usually has a second core; this puts it to
 * work without touching the engine's order.
 *
 * <p>Deterministic: requests come out in the workload's order with the same content, and page keys
 * are a pure function of the request (its tokens, or its serials), so a replay gives the same
 * results with or without it. About
 * {@code depth} requests wait, handed over in batches of up to {@link #BATCH} while the engine has
 * some waiting already (one queue operation, and at most one wake-up of the waiting thread, per
 * batch instead of per request), one by one while it has none. A failure of the workload (a bad trace line) is thrown by {@link
 * #next} in its place in the stream, after the requests read before it.
 *
 * <p>{@link #close()} stops the thread; the wrapped workload stays open (its owner closes it).
 */
public final class ReadAheadWorkload implements Workload {
  private static final Object END = new Object();
  /** Most requests handed over at once. */
  static final int BATCH = 16;

  private record Failure(Throwable cause) {}

  private final Workload inner;
  private final int pageSize;
  private final ToLongFunction<int[]> routeKey;
  private final ArrayBlockingQueue<Object> queue;
  private final Thread thread;
  private volatile boolean closed;
  private boolean ended;
  /** The engine's side: the batch being served and the next request in it. */
  private Request[] batch = new Request[0];
  private int batchAt;

  /**
   * @param inner an open-loop workload (its {@link #next} runs on the read-ahead thread from now on;
   *     call nothing else on it until this is closed)
   * @param depth about how many requests may wait (whole batches, at least one), at least 1
   * @param pageSize the engine's page size, to compute each prompt's page keys; 0 = no keys
   */
  public ReadAheadWorkload(Workload inner, int depth, int pageSize) {
    this(inner, depth, pageSize, null);
  }

  /**
   * As {@link #ReadAheadWorkload(Workload, int, int)}, and each request's {@link Request#routeKey}
   * made here too.
   *
   * @param routeKey the router's key of a prompt (a pure function of its tokens, safe to call on
   *     the read-ahead thread); null = none
   */
  public ReadAheadWorkload(Workload inner, int depth, int pageSize, ToLongFunction<int[]> routeKey) {
    if (inner == null || !inner.openLoop()) {
      throw new IllegalArgumentException("only an open-loop workload can be read ahead: " + (inner == null ? "null" : inner.describe()));
    }
    if (depth < 1) throw new IllegalArgumentException("read-ahead depth must be >= 1, got " + depth);
    if (pageSize < 0) throw new IllegalArgumentException("page size must be >= 0, got " + pageSize);
    this.inner = inner;
    this.pageSize = pageSize;
    this.routeKey = routeKey;
    this.queue = new ArrayBlockingQueue<>(Math.max(1, depth / BATCH));
    this.thread = Thread.ofPlatform().name("hicache-read-ahead").daemon().unstarted(this::produce);
    thread.start();
  }

  private void produce() {
    PromptPageKeys keys = pageSize > 0 ? new PromptPageKeys(pageSize) : null;
    Request[] b = new Request[BATCH];
    int n = 0;
    try {
      while (!closed) {
        Request q = new Request();
        if (!inner.next(q)) {
          if (n > 0) put(Arrays.copyOf(b, n));
          put(END);
          return;
        }
        if (keys != null) q.pageKeys = keys.of(q);
        if (routeKey != null) {
          q.routeKey = routeKey.applyAsLong(q.tokens);
          q.routeKeyed = true;
        }
        b[n++] = q;
        // A full batch goes; so does a partial one when the engine has nothing left to take.
        if (n == BATCH || queue.isEmpty()) {
          put(n == BATCH ? b : Arrays.copyOf(b, n));
          b = new Request[BATCH];
          n = 0;
        }
      }
    } catch (Throwable t) {
      if (n > 0) put(Arrays.copyOf(b, n)); // the requests read before the failure come first
      put(new Failure(t));
    }
  }

  /** Waits for room; gives up once closed. */
  private void put(Object o) {
    try {
      while (!closed && !queue.offer(o, 10, TimeUnit.MILLISECONDS)) {
        // full: the engine is behind; wait
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override public boolean next(Request r) throws IOException {
    if (closed) throw new IllegalStateException("read-ahead workload is closed");
    if (batchAt < batch.length) {
      r.copyFrom(batch[batchAt]);
      batch[batchAt++] = null;
      return true;
    }
    if (ended) return false;
    Object o;
    try {
      o = queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the next request of " + inner.describe());
    }
    if (o == END) {
      ended = true;
      return false;
    }
    if (o instanceof Failure(Throwable t)) {
      ended = true;
      switch (t) {
        case IOException e -> throw e;
        case RuntimeException e -> throw e;
        case Error e -> throw e;
        default -> throw new UncheckedIOException(new IOException(t));
      }
    }
    batch = (Request[]) o;
    r.copyFrom(batch[0]);
    batch[0] = null;
    batchAt = 1;
    return true;
  }

  @Override public String describe() {
    return inner.describe();
  }

  @Override public String groupName() {
    return inner.groupName();
  }

  @Override public int[] pinnedPrefix() {
    return inner.pinnedPrefix();
  }

  /** Open-loop: nothing to tell the wrapped workload. */
  @Override public boolean openLoop() {
    return true;
  }

  /** Stops the read-ahead thread (the request it is reading is dropped); leaves the wrapped workload open. */
  @Override public void close() {
    closed = true;
    boolean interrupted = false;
    while (thread.isAlive()) {
      queue.clear();
      try {
        thread.join(10);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    queue.clear();
    if (interrupted) Thread.currentThread().interrupt();
  }
}
