package dev.hicache.jlama.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * llama2.c's tokenizer file ({@code tok512.bin}, {@code tokenizer.bin}): int32 max_token_length,
 * then per token a float32 merge score, an int32 length and the bytes. Encoding is llama2.c's: a
 * leading space (SentencePiece's dummy prefix), one token per UTF-8 character with byte fallback
 * ({@code <0xXX>} = id byte + 3), then the highest-scoring adjacent merge until none applies.
 */
public final class Llama2cTokenizer {
  public static final int BOS = 1;
  public static final int EOS = 2;
  private final String[] vocab;
  private final float[] scores;
  private final Map<String, Integer> ids = new HashMap<>();

  private Llama2cTokenizer(String[] vocab, float[] scores) {
    this.vocab = vocab;
    this.scores = scores;
    for (int i = 0; i < vocab.length; i++) ids.putIfAbsent(vocab[i], i);
  }

  /** Reads a tokenizer of {@code vocabSize} tokens. */
  public static Llama2cTokenizer load(Path file, int vocabSize) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    String[] vocab = new String[vocabSize];
    float[] scores = new float[vocabSize];
    try {
      bb.getInt();
      for (int i = 0; i < vocabSize; i++) {
        scores[i] = bb.getFloat();
        int len = bb.getInt();
        if (len < 0 || len > bb.remaining()) throw new IOException(file + ": token " + i + " has length " + len);
        byte[] b = new byte[len];
        bb.get(b);
        vocab[i] = new String(b, StandardCharsets.UTF_8);
      }
    } catch (java.nio.BufferUnderflowException e) {
      throw new IOException(file + ": ends before token " + vocabSize + " of the model's vocabulary", e);
    }
    if (bb.hasRemaining()) throw new IOException(file + ": " + bb.remaining() + " bytes after " + vocabSize + " tokens (vocabulary size mismatch)");
    return new Llama2cTokenizer(vocab, scores);
  }

  public int vocabSize() { return vocab.length; }

  /** The tokens of {@code text}, after BOS when {@code bos}. */
  public int[] encode(String text, boolean bos) {
    List<Integer> t = new ArrayList<>();
    if (bos) t.add(BOS);
    if (!text.isEmpty()) t.add(ids.get(" "));
    int start = t.size();
    text.codePoints().forEach(cp -> {
      String s = new String(Character.toChars(cp));
      Integer id = ids.get(s);
      if (id != null) t.add(id);
      else for (byte b : s.getBytes(StandardCharsets.UTF_8)) t.add((b & 0xff) + 3);
    });
    while (true) {
      float best = Float.NEGATIVE_INFINITY;
      int bestId = -1, bestAt = -1;
      for (int i = start; i < t.size() - 1; i++) {
        Integer id = ids.get(vocab[t.get(i)] + vocab[t.get(i + 1)]);
        if (id != null && scores[id] > best) {
          best = scores[id];
          bestId = id;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      t.set(bestAt, bestId);
      t.remove(bestAt + 1);
    }
    return t.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The text of {@code token} following {@code previous} (llama2.c's decode). */
  public String decode(int previous, int token) {
    String piece = vocab[token];
    if (previous == BOS && piece.startsWith(" ")) piece = piece.substring(1);
    if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
      return String.valueOf((char) Integer.parseInt(piece.substring(3, 5), 16));
    }
    return piece;
  }

  /**
   * The text of {@code tokens} (the first one's predecessor taken as BOS); byte-fallback tokens are
   * gathered into UTF-8 sequences.
   */
  public String decode(int[] tokens) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    int prev = BOS;
    for (int tk : tokens) {
      if (tk == BOS) {
        prev = tk;
        continue;
      }
      String piece = vocab[tk];
      if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
        bytes.write(Integer.parseInt(piece.substring(3, 5), 16));
      } else {
        if (prev == BOS && piece.startsWith(" ")) piece = piece.substring(1);
        bytes.writeBytes(piece.getBytes(StandardCharsets.UTF_8));
      }
      prev = tk;
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
