#!/usr/bin/env bash
# Builds the in-memory C test double of Mooncake's store_c.h for this module's tests.
#   build.sh <output-library> <source.c>
# Without gcc it builds nothing (removing any stale library) and says so: the tests that need the
# double then skip, printing why.
set -euo pipefail
lib="$1"
src="$2"
mkdir -p "$(dirname "$lib")"
if ! command -v gcc >/dev/null 2>&1; then
  echo "gcc not found: the Mooncake store double is not built and the tests that need it will skip"
  rm -f "$lib"
  exit 0
fi
# Written beside the target and renamed: an interrupted build never leaves a half-written library.
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -fvisibility=hidden -pthread -o "$lib.tmp" "$src"
mv -f "$lib.tmp" "$lib"
