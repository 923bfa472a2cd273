package dev.hicache.jlama.engine;

import java.lang.foreign.MemorySegment;

/**
 * The part of an inference engine HiCache needs: a per-sequence KV buffer the caller can read and
 * write row by row, and a forward pass that starts at any position and attends to the KV already in
 * that buffer. Jlama is one implementation ({@link JlamaEngine}); another engine plugs in by
 * implementing this interface.
 *
 * <p>KV rows are FP32, {@link ModelSpec#kvRowFloats()} floats each, little-endian, heads then
 * dimensions: the layout of a row of HiCache's device pool with an FP32 {@code KvShape}.
 */
public interface InferenceEngine extends AutoCloseable {
  ModelSpec spec();

  /** A fresh sequence: an empty KV buffer of {@link ModelSpec#contextLength()} positions. */
  Sequence newSequence();

  /** Releases the engine's weights and threads. */
  @Override void close();

  /** One sequence's KV buffer and forward pass. Not thread-safe. */
  interface Sequence extends AutoCloseable {
    /**
     * Computes the KV of positions {@code [start, start + tokens.length)} and returns the logits
     * (before softmax) of the last of them. Positions below {@code start} must already hold KV
     * (computed here or {@linkplain #writeKv written} by the caller).
     */
    float[] forward(int[] tokens, int start);

    /** Copies one KV row in: K ({@code kv} 0) or V (1) of {@code position} in {@code layer}, from {@code src} at {@code offset}. */
    void writeKv(int layer, int kv, int position, MemorySegment src, long offset);

    /** Copies one KV row out, as {@link #writeKv} takes it. */
    void readKv(int layer, int kv, int position, MemorySegment dst, long offset);

    @Override void close();
  }
}
