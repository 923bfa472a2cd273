package dev.hicache.l2.sizing;

/** Python's {@code repr()} of a str, which the reference script's messages quote input with. */
final class PyRepr {
  private PyRepr() {}

  static String repr(String s) {
    char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder b = new StringBuilder(s.length() + 2).append(quote);
    s.codePoints().forEach(cp -> {
      if (cp == quote || cp == '\\') {
        b.append('\\').appendCodePoint(cp);
      } else if (cp == '\t') {
        b.append("\\t");
      } else if (cp == '\n') {
        b.append("\\n");
      } else if (cp == '\r') {
        b.append("\\r");
      } else if (cp < 0x20 || cp == 0x7f) {
        b.append(String.format("\\x%02x", cp));
      } else if (cp < 0x7f || printable(cp)) {
        b.appendCodePoint(cp);
      } else if (cp <= 0xff) {
        b.append(String.format("\\x%02x", cp));
      } else if (cp <= 0xffff) {
        b.append(String.format("\\u%04x", cp));
      } else {
        b.append(String.format("\\U%08x", cp));
      }
    });
    return b.append(quote).toString();
  }

  /** Python's str.isprintable for one non-ASCII code point: not Other, not a separator but space. */
  private static boolean printable(int cp) {
    return switch (Character.getType(cp)) {
      case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
          Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
      default -> true;
    };
  }
}
