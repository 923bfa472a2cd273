package dev.hicache.simulator.trace;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Streams a Mooncake FAST'25 trace (JSON Lines: {@code timestamp}, {@code input_length},
 * {@code output_length}, {@code hash_ids}; docs/behaviour.md#traces-and-reference-values) one
 * record at a time.
 *
 * <p>A hand-written byte-level parser: it reads the file through one buffer and decodes each line
 * in place into a reused {@link TraceRecord}, so a trace of any size streams in constant memory
 * and allocates nothing per line. Validation is strict: each line is one JSON object; the four
 * fields are present once each, with non-negative integer values in range; {@code hash_ids} has
 * exactly {@code ceil(input_length / blockSize)} entries. Other fields (Dynamo's {@code
 * session_id}, ...) may appear with any JSON value and are skipped. Any problem stops the read
 * with a {@link TraceFormatException} that names the file and line.
 *
 * <p>Not thread-safe.
 */
public final class MooncakeTraceReader implements Closeable {
  /** The Mooncake traces' block size: one {@code hash_ids} entry per 512 tokens. */
  public static final int MOONCAKE_BLOCK_SIZE = 512;
  /** Largest accepted {@code input_length} / {@code output_length} (16 Mi tokens). */
  public static final int MAX_LENGTH = 1 << 24;
  /** Largest accepted {@code timestamp} and {@code hash_ids} value: JSON's exact-integer range. */
  public static final long MAX_VALUE = (1L << 53) - 1;
  /** Longest accepted line. */
  public static final int MAX_LINE_BYTES = 64 << 20;
  private static final int MAX_DEPTH = 64;

  private static final byte[] K_TIMESTAMP = ascii("timestamp");
  private static final byte[] K_INPUT = ascii("input_length");
  private static final byte[] K_OUTPUT = ascii("output_length");
  private static final byte[] K_HASH_IDS = ascii("hash_ids");

  private final InputStream in;
  private final String source;
  private final int blockSize;
  private byte[] buf;
  private int pos;
  private int lim;
  private boolean eof;
  private long lineNo;

  // Parse state of the current line (fields instead of locals so helpers stay allocation-free).
  private int p;
  private int end;
  private int lineBegin;

  /** Reads {@code in} (closed by {@link #close()}); {@code source} names it in error messages. */
  public MooncakeTraceReader(InputStream in, String source, int blockSize) {
    if (blockSize < 1) throw new IllegalArgumentException("block size must be >= 1, got " + blockSize);
    this.in = in;
    this.source = source;
    this.blockSize = blockSize;
    this.buf = new byte[1 << 18];
  }

  public MooncakeTraceReader(InputStream in, String source) {
    this(in, source, MOONCAKE_BLOCK_SIZE);
  }

  /** Opens a trace file; a missing file is a {@link NoSuchFileException} naming it. */
  public static MooncakeTraceReader open(Path file) throws IOException {
    return new MooncakeTraceReader(Files.newInputStream(file), file.toString());
  }

  /** A reader over bytes in memory (tests, fuzzing). */
  public static MooncakeTraceReader of(byte[] bytes, String source) {
    return new MooncakeTraceReader(new ByteArrayInputStream(bytes), source);
  }

  public String source() {
    return source;
  }

  /** Lines consumed so far (the line of the record last returned). */
  public long lineNumber() {
    return lineNo;
  }

  /**
   * Decodes the next line into {@code into}.
   *
   * @return false at the end of the input
   * @throws TraceFormatException for a line that is not a valid record
   */
  public boolean next(TraceRecord into) throws IOException {
    int nl = findNewline();
    if (nl < 0) return false;
    lineNo++;
    p = pos;
    lineBegin = pos;
    end = nl;
    pos = nl < lim ? nl + 1 : nl;
    parseLine(into);
    into.line = lineNo;
    return true;
  }

  /** Index of the next line's end ('\n' or end of input) in buf, or -1 at the end of the input. */
  private int findNewline() throws IOException {
    int from = pos;
    while (true) {
      byte[] b = buf;
      for (int i = from; i < lim; i++) {
        if (b[i] == '\n') return i;
      }
      if (eof) {
        return pos < lim ? lim : -1;
      }
      from = lim - pos;
      fill();
    }
  }

  /** Moves the unread bytes to the front, grows the buffer if a line fills it, and reads more. */
  private void fill() throws IOException {
    int unread = lim - pos;
    if (unread == buf.length) {
      if (buf.length >= MAX_LINE_BYTES) {
        throw error(lineNo + 1, "line longer than " + MAX_LINE_BYTES + " bytes");
      }
      byte[] bigger = new byte[Math.min(MAX_LINE_BYTES, buf.length * 2)];
      System.arraycopy(buf, pos, bigger, 0, unread);
      buf = bigger;
    } else if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, unread);
    }
    pos = 0;
    lim = unread;
    int n = in.read(buf, lim, buf.length - lim);
    if (n < 0) {
      eof = true;
    } else {
      lim += n;
    }
  }

  private void parseLine(TraceRecord r) {
    skipWs();
    if (p >= end) throw lineError("empty line (each line must be one JSON object)");
    if (buf[p] != '{') throw lineError("expected a JSON object starting with '{', got " + describeHere());
    p++;
    boolean hasTs = false, hasIn = false, hasOut = false, hasIds = false;
    skipWs();
    if (p < end && buf[p] == '}') {
      p++;
    } else {
      while (true) {
        skipWs();
        if (p >= end || buf[p] != '"') throw lineError("expected a field name in quotes, got " + describeHere());
        int keyStart = p + 1;
        int keyEnd = scanString();
        skipWs();
        if (p >= end || buf[p] != ':') throw lineError("expected ':' after a field name, got " + describeHere());
        p++;
        skipWs();
        if (keyIs(keyStart, keyEnd, K_TIMESTAMP)) {
          if (hasTs) throw lineError("field \"timestamp\" appears twice");
          hasTs = true;
          r.timestamp = parseInteger("timestamp", MAX_VALUE);
        } else if (keyIs(keyStart, keyEnd, K_INPUT)) {
          if (hasIn) throw lineError("field \"input_length\" appears twice");
          hasIn = true;
          r.inputLength = (int) parseInteger("input_length", MAX_LENGTH);
        } else if (keyIs(keyStart, keyEnd, K_OUTPUT)) {
          if (hasOut) throw lineError("field \"output_length\" appears twice");
          hasOut = true;
          r.outputLength = (int) parseInteger("output_length", MAX_LENGTH);
        } else if (keyIs(keyStart, keyEnd, K_HASH_IDS)) {
          if (hasIds) throw lineError("field \"hash_ids\" appears twice");
          hasIds = true;
          parseHashIds(r);
        } else {
          skipValue(0);
        }
        skipWs();
        if (p >= end) throw lineError("unterminated object: expected ',' or '}' before the end of the line");
        byte c = buf[p++];
        if (c == '}') break;
        if (c != ',') {
          p--;
          throw lineError("expected ',' or '}' after a field value, got " + describeHere());
        }
      }
    }
    skipWs();
    if (p < end) throw lineError("unexpected " + describeHere() + " after the JSON object (one object per line)");
    if (!hasTs) throw lineError("missing field \"timestamp\"");
    if (!hasIn) throw lineError("missing field \"input_length\"");
    if (!hasOut) throw lineError("missing field \"output_length\"");
    if (!hasIds) throw lineError("missing field \"hash_ids\"");
    if (r.inputLength < 1) throw lineError("input_length must be at least 1, got 0");
    long blocks = ((long) r.inputLength + blockSize - 1) / blockSize;
    if (r.hashIdCount != blocks) {
      throw lineError("hash_ids has " + r.hashIdCount + " entries but input_length " + r.inputLength
          + " needs ceil(" + r.inputLength + " / " + blockSize + ") = " + blocks);
    }
  }

  private void parseHashIds(TraceRecord r) {
    if (p >= end || buf[p] != '[') {
      throw lineError("field \"hash_ids\" must be an array of integers, got " + describeHere());
    }
    p++;
    int n = 0;
    long[] ids = r.hashIds;
    skipWs();
    if (p < end && buf[p] == ']') {
      p++;
    } else {
      while (true) {
        skipWs();
        long v = parseInteger("hash_ids", MAX_VALUE);
        if (n == ids.length) {
          long[] bigger = new long[ids.length * 2];
          System.arraycopy(ids, 0, bigger, 0, n);
          ids = bigger;
          r.hashIds = ids;
        }
        ids[n++] = v;
        skipWs();
        if (p >= end) throw lineError("unterminated hash_ids array");
        byte c = buf[p++];
        if (c == ']') break;
        if (c != ',') {
          p--;
          throw lineError("expected ',' or ']' in hash_ids, got " + describeHere());
        }
      }
    }
    r.hashIdCount = n;
  }

  /** A non-negative JSON integer no larger than {@code max}. */
  private long parseInteger(String field, long max) {
    if (p >= end) throw lineError("field \"" + field + "\": expected an integer, got the end of the line");
    byte c = buf[p];
    if (c == '-') {
      throw lineError("field \"" + field + "\" must not be negative, got " + numberText());
    }
    if (c < '0' || c > '9') {
      throw lineError("field \"" + field + "\": expected an integer, got " + describeHere());
    }
    int start = p;
    long v = 0;
    while (p < end && (c = buf[p]) >= '0' && c <= '9') {
      if (v > (max - (c - '0')) / 10) {
        p = start;
        throw lineError("field \"" + field + "\" is too large: " + numberText() + " (at most " + max + ")");
      }
      v = v * 10 + (c - '0');
      p++;
    }
    if (p - start > 1 && buf[start] == '0') {
      p = start;
      throw lineError("field \"" + field + "\": leading zeros are not JSON, got " + numberText());
    }
    if (p < end && (c == '.' || c == 'e' || c == 'E')) {
      p = start;
      throw lineError("field \"" + field + "\" must be an integer, got " + numberText());
    }
    return v;
  }

  /** Skips any JSON value (the value of a field this reader does not use). */
  private void skipValue(int depth) {
    if (depth > MAX_DEPTH) throw lineError("JSON nested deeper than " + MAX_DEPTH + " levels");
    if (p >= end) throw lineError("expected a value, got the end of the line");
    byte c = buf[p];
    switch (c) {
      case '"' -> scanString();
      case '{' -> {
        p++;
        skipWs();
        if (p < end && buf[p] == '}') {
          p++;
          return;
        }
        while (true) {
          skipWs();
          if (p >= end || buf[p] != '"') throw lineError("expected a field name in quotes, got " + describeHere());
          scanString();
          skipWs();
          if (p >= end || buf[p] != ':') throw lineError("expected ':' after a field name, got " + describeHere());
          p++;
          skipWs();
          skipValue(depth + 1);
          skipWs();
          if (p >= end) throw lineError("unterminated object");
          c = buf[p++];
          if (c == '}') return;
          if (c != ',') {
            p--;
            throw lineError("expected ',' or '}', got " + describeHere());
          }
        }
      }
      case '[' -> {
        p++;
        skipWs();
        if (p < end && buf[p] == ']') {
          p++;
          return;
        }
        while (true) {
          skipWs();
          skipValue(depth + 1);
          skipWs();
          if (p >= end) throw lineError("unterminated array");
          c = buf[p++];
          if (c == ']') return;
          if (c != ',') {
            p--;
            throw lineError("expected ',' or ']', got " + describeHere());
          }
        }
      }
      case 't' -> literal("true");
      case 'f' -> literal("false");
      case 'n' -> literal("null");
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          skipNumber();
        } else {
          throw lineError("expected a JSON value, got " + describeHere());
        }
      }
    }
  }

  private void literal(String word) {
    int n = word.length();
    if (end - p < n) throw lineError("expected " + word + ", got " + describeHere());
    for (int i = 0; i < n; i++) {
      if (buf[p + i] != word.charAt(i)) throw lineError("expected " + word + ", got " + describeHere());
    }
    p += n;
  }

  /** JSON number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
  private void skipNumber() {
    int start = p;
    if (buf[p] == '-') p++;
    if (p >= end || !isDigit(buf[p])) throw badNumber(start);
    if (buf[p] == '0') {
      p++;
    } else {
      while (p < end && isDigit(buf[p])) p++;
    }
    if (p < end && buf[p] == '.') {
      p++;
      if (p >= end || !isDigit(buf[p])) throw badNumber(start);
      while (p < end && isDigit(buf[p])) p++;
    }
    if (p < end && (buf[p] == 'e' || buf[p] == 'E')) {
      p++;
      if (p < end && (buf[p] == '+' || buf[p] == '-')) p++;
      if (p >= end || !isDigit(buf[p])) throw badNumber(start);
      while (p < end && isDigit(buf[p])) p++;
    }
  }

  private TraceFormatException badNumber(int start) {
    p = start;
    return lineError("malformed number " + numberText());
  }

  private static boolean isDigit(byte c) {
    return c >= '0' && c <= '9';
  }

  /**
   * Scans a JSON string starting at the opening quote at p; leaves p after the closing quote and
   * returns the index of the closing quote.
   */
  private int scanString() {
    int start = p;
    p++;
    while (p < end) {
      byte c = buf[p];
      if (c == '"') {
        return p++;
      }
      if (c == '\\') {
        if (p + 1 >= end) break;
        byte e = buf[p + 1];
        switch (e) {
          case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> p += 2;
          case 'u' -> {
            if (p + 6 > end) throw lineError("unterminated \\u escape in a string");
            for (int i = 2; i < 6; i++) {
              if (Character.digit(buf[p + i], 16) < 0) {
                throw lineError("bad \\u escape in a string: " + snippet(p, 6));
              }
            }
            p += 6;
          }
          default -> throw lineError("bad escape in a string: " + snippet(p, 2));
        }
        continue;
      }
      if ((c & 0xFF) < 0x20) {
        throw lineError("control character 0x" + Integer.toHexString(c & 0xFF) + " inside a string");
      }
      p++;
    }
    p = start;
    throw lineError("unterminated string starting " + snippet(start, 20));
  }

  /** Whether the raw key bytes [from, to) are exactly {@code key} (escaped names never match). */
  private boolean keyIs(int from, int to, byte[] key) {
    if (to - from != key.length) return false;
    for (int i = 0; i < key.length; i++) {
      if (buf[from + i] != key[i]) return false;
    }
    return true;
  }

  private void skipWs() {
    while (p < end) {
      byte c = buf[p];
      if (c != ' ' && c != '\t' && c != '\r') return;
      p++;
    }
  }

  private String describeHere() {
    if (p >= end) return "the end of the line";
    return snippet(p, 16);
  }

  private String numberText() {
    int e = p;
    while (e < end && e - p < 40) {
      byte c = buf[e];
      if (!(isDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) break;
      e++;
    }
    return e == p ? describeHere() : new String(buf, p, e - p, StandardCharsets.UTF_8);
  }

  /** Up to {@code max} bytes from {@code from}, quoted, for messages. */
  private String snippet(int from, int max) {
    int to = Math.min(end, from + max);
    StringBuilder sb = new StringBuilder("'");
    for (int i = from; i < to; i++) {
      int c = buf[i] & 0xFF;
      if (c >= 0x20 && c < 0x7F) {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    sb.append('\'');
    if (to < end) sb.append("...");
    return sb.toString();
  }

  private TraceFormatException lineError(String problem) {
    return error(lineNo, problem + " (column " + (p - lineBegin + 1) + ")");
  }

  private TraceFormatException error(long line, String problem) {
    return new TraceFormatException(source, line, problem);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Override public void close() throws IOException {
    in.close();
  }
}
