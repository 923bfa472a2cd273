package dev.hicache.l3.mooncake;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader for configuration files (this module depends on nothing but the api
 * and Caffeine). Objects become {@code LinkedHashMap}, arrays {@code List}, numbers {@code Long}
 * or {@code Double}. Errors name the source, line and column.
 */
final class Json {
  private final String text;
  private final String source;
  private int pos;

  private Json(String text, String source) {
    this.text = text;
    this.source = source;
  }

  /** Parses one JSON value filling the whole text. */
  static Object parse(String text, String source) {
    Json p = new Json(text, source);
    p.ws();
    Object v = p.value();
    p.ws();
    if (p.pos != text.length()) throw p.error("unexpected '" + text.charAt(p.pos) + "' after the value");
    return v;
  }

  private IllegalArgumentException error(String what) {
    int line = 1, col = 1;
    for (int i = 0; i < pos && i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return new IllegalArgumentException(source + ":" + line + ":" + col + ": " + what);
  }

  private void ws() {
    while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) pos++;
  }

  private Object value() {
    if (pos >= text.length()) throw error("unexpected end of input");
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> object();
      case '[' -> array();
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) yield number();
        throw error("unexpected '" + c + "'");
      }
    };
  }

  private Object literal(String word, Object v) {
    if (!text.startsWith(word, pos)) throw error("expected " + word);
    pos += word.length();
    return v;
  }

  private Map<String, Object> object() {
    var m = new LinkedHashMap<String, Object>();
    pos++;
    ws();
    if (peek('}')) return m;
    while (true) {
      ws();
      if (pos >= text.length() || text.charAt(pos) != '"') throw error("expected a quoted key");
      int at = pos;
      String k = string();
      ws();
      expect(':');
      ws();
      Object v = value();
      if (m.containsKey(k)) {
        pos = at;
        throw error("duplicate key \"" + k + "\"");
      }
      m.put(k, v);
      ws();
      if (peek('}')) return m;
      expect(',');
    }
  }

  private List<Object> array() {
    var l = new ArrayList<Object>();
    pos++;
    ws();
    if (peek(']')) return l;
    while (true) {
      ws();
      l.add(value());
      ws();
      if (peek(']')) return l;
      expect(',');
    }
  }

  private boolean peek(char c) {
    if (pos < text.length() && text.charAt(pos) == c) {
      pos++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!peek(c)) throw error(pos >= text.length() ? "expected '" + c + "' before the end" : "expected '" + c + "'");
  }

  private String string() {
    pos++;
    var b = new StringBuilder();
    while (true) {
      if (pos >= text.length()) throw error("unterminated string");
      char c = text.charAt(pos++);
      if (c == '"') return b.toString();
      if (c < 0x20) {
        pos--;
        throw error("control character in a string");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (pos >= text.length()) throw error("unterminated escape");
      char e = text.charAt(pos++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (pos + 4 > text.length()) throw error("short \\u escape");
          try {
            b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
          } catch (NumberFormatException x) {
            throw error("bad \\u escape");
          }
          pos += 4;
        }
        default -> {
          pos--;
          throw error("bad escape \\" + e);
        }
      }
    }
  }

  private Object number() {
    int start = pos;
    if (peek('-')) { /* sign */ }
    while (pos < text.length() && "0123456789.eE+-".indexOf(text.charAt(pos)) >= 0) pos++;
    String s = text.substring(start, pos);
    try {
      if (s.matches("-?(0|[1-9][0-9]*)")) return Long.parseLong(s);
      if (s.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      // falls through to the error below (e.g. an integer beyond 64 bits)
    }
    pos = start;
    throw error("bad number '" + s + "'");
  }
}
