#!/usr/bin/env bash
# Times `./hicache simulate --l1-only` against tools/replay_l1.py (the straightforward Python
# replay of the same semantics) on Mooncake's conversation trace, interleaved in one run, and prints
# a markdown table of medians: the replay's own wall time (after start-up), the whole process's
# wall time and CPU time (user+sys; steadier than wall time on a shared machine), and page events
# per second. Usage: tools/bench-l1-replay.sh [RUNS]
# The trace is data handed to the project, never committed: HICACHE_TRACE=FILE, by default
# ../shared/traces/conversation_trace.jsonl beside the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
trace="${HICACHE_TRACE:-../shared/traces/conversation_trace.jsonl}"
[ -f "$trace" ] || { echo "bench-l1-replay: no conversation trace at $trace (set HICACHE_TRACE=FILE)" >&2; exit 2; }
./hicache simulate --l1-only --trace "$trace" --format json >/dev/null   # build (and the AOT cache) if needed
python3 tools/replay_l1.py "$trace" >/dev/null          # warm the page cache

declare -A replay proc cpu ratio
measure() { # $1 = key, rest = command; appends replay wall, process wall, cpu
  local key="$1"; shift
  local out t
  out="$( { /usr/bin/time -f '@@ %e %U %S' "$@" ; } 2>&1 )"
  t="$(grep '^@@' <<<"$out")"
  replay[$key]+="$(grep -o '"wall_seconds": *[0-9.]*' <<<"$out" | grep -o '[0-9.]*$') "
  ratio[$key]="$(grep -o '"token_hit_ratio": *[0-9.]*' <<<"$out" | grep -o '[0-9.]*$')"
  proc[$key]+="$(awk '{print $2}' <<<"$t") "
  cpu[$key]+="$(awk '{print $3 + $4}' <<<"$t") "
}
for cap in inf 3000000; do
  for i in $(seq "$runs"); do
    measure "java,$cap" ./hicache simulate --l1-only --trace "$trace" --l1-capacity-tokens "$cap" --format json
    measure "python,$cap" python3 tools/replay_l1.py --capacity-tokens "$cap" "$trace"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
refs=2256643
echo "load average before/after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| L1 capacity | tool | token hit ratio | replay wall s | process wall s | process CPU s | page events/s (replay wall) |"
echo "|---|---|---:|---:|---:|---:|---:|"
for cap in inf 3000000; do
  for tool in java python; do
    k="$tool,$cap"
    r=$(median <<<"${replay[$k]}"); w=$(median <<<"${proc[$k]}"); c=$(median <<<"${cpu[$k]}")
    label=$([ $tool = java ] && echo "./hicache simulate --l1-only" || echo "python3 tools/replay_l1.py")
    printf "| %s | %s | %s | %.3f | %.3f | %.3f | %.2f M |\n" "$cap" "$label" "${ratio[$k]}" "$r" "$w" "$c" \
      "$(echo "$refs / $r / 1000000" | bc -l)"
  done
done
echo
echo "(medians of $runs interleaved runs each)"
