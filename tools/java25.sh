# Sourced by ./hicache, ./verify and hicache-l1-gpu/bundle.sh: finds a Java 25+ the same way for all.
# java25_select sets JAVA25 (the java binary) and JAVA25_HOME, trying in order JAVA_HOME if it is 25+,
# /usr/lib/jvm/temurin-25*, then `java` on the PATH if it is 25+; when none is, it prints every Java
# it found and what it needs on stderr (prefixed with $JAVA25_WHO, default the script's name) and
# returns 2.

java25_major() { # prints the feature version of the java binary $1, or nothing
  local line v rel
  # The JDK's release file says it without starting a JVM (docs/design.md#the-launcher).
  rel="$(dirname "$1")/../release"
  if [ -f "$rel" ]; then
    v="$(sed -nE 's/^JAVA_VERSION="(1\.)?([0-9]+).*/\2/p' "$rel" | head -1)"
    if [ -n "$v" ]; then echo "$v"; return; fi
  fi
  line="$("$1" -version 2>&1 | grep -m1 -E 'version "' || true)"
  v="$(sed -E 's/.*version "([0-9]+)(\.([0-9]+))?.*/\1 \3/' <<<"$line")"
  set -- $v
  if [ "${1:-}" = "1" ]; then echo "${2:-}"; else echo "${1:-}"; fi
}

java25_select() {
  local who="${JAVA25_WHO:-$(basename "$0")}" d f
  JAVA25=""
  JAVA25_HOME=""
  _java25_found=()
  _java25_try() { # $1 = java binary, $2 = where it came from
    [ -x "$1" ] || return 1
    local m
    m="$(java25_major "$1")"
    _java25_found+=("$2: $1 (Java ${m:-unknown})")
    if [ -n "$m" ] && [ "$m" -ge 25 ] 2>/dev/null; then JAVA25="$1"; return 0; fi
    return 1
  }
  if [ -n "${JAVA_HOME:-}" ] && _java25_try "$JAVA_HOME/bin/java" "JAVA_HOME"; then :
  else
    for d in /usr/lib/jvm/temurin-25*; do
      [ -d "$d" ] && _java25_try "$d/bin/java" "/usr/lib/jvm" && break
    done
    if [ -z "$JAVA25" ] && command -v java >/dev/null 2>&1; then
      _java25_try "$(command -v java)" "PATH" || true
    fi
  fi
  if [ -z "$JAVA25" ]; then
    {
      echo "$who: needs Java 25 or newer, and found none."
      if [ ${#_java25_found[@]} -eq 0 ]; then
        echo "  found no Java at all (JAVA_HOME is ${JAVA_HOME:-unset}; nothing in /usr/lib/jvm/temurin-25*; no java on the PATH)"
      else
        for f in "${_java25_found[@]}"; do echo "  found $f"; done
      fi
      echo "  Install a Java 25 JDK (e.g. Eclipse Temurin 25) and set JAVA_HOME to it."
    } >&2
    return 2
  fi
  JAVA25_HOME="$(cd -P "$(dirname "$JAVA25")/.." && pwd)"
}
