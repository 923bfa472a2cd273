#!/usr/bin/env bash
# Times `./hicache simulate --l1-only` against tools/replay_l1.py (the straightforward Python
# replay of the same semantics) on the bundled trace, interleaved in one run, and prints a
# markdown table of medians: replay wall time (each tool's own measurement, after start-up),
# whole-process wall time, and page events per second. Usage: tools/bench-l1-replay.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
trace=traces/conversation_trace.jsonl
./hicache simulate --l1-only --format json >/dev/null   # build if needed, warm the page cache
python3 tools/replay_l1.py "$trace" >/dev/null

now() { date +%s.%N; }
declare -A replay proc ratio_java ratio_py
for cap in inf 3000000; do
  for i in $(seq "$runs"); do
    t0=$(now); j=$(./hicache simulate --l1-only --l1-capacity-tokens "$cap" --format json); t1=$(now)
    replay[java,$cap]+="$(grep -o '"wall_seconds":[0-9.]*' <<<"$j" | cut -d: -f2) "
    proc[java,$cap]+="$(echo "$t1 - $t0" | bc) "
    ratio_java[$cap]=$(grep -o '"token_hit_ratio":[0-9.]*' <<<"$j" | cut -d: -f2) 2>/dev/null || true
    pycap=$([ "$cap" = inf ] && echo inf || echo "$cap")
    t0=$(now); p=$(python3 tools/replay_l1.py --capacity-tokens "$pycap" "$trace"); t1=$(now)
    replay[python,$cap]+="$(grep -o '"wall_seconds": [0-9.]*' <<<"$p" | cut -d' ' -f2) "
    proc[python,$cap]+="$(echo "$t1 - $t0" | bc) "
    ratio_py[$cap]=$(grep -o '"token_hit_ratio": [0-9.]*' <<<"$p" | cut -d' ' -f2) 2>/dev/null || true
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
refs=2256643
echo "| capacity | tool | token hit ratio | replay wall s (median of $runs) | process wall s | page events/s |"
echo "|---|---|---:|---:|---:|---:|"
for cap in inf 3000000; do
  for tool in java python; do
    r=$(median <<<"${replay[$tool,$cap]}"); w=$(median <<<"${proc[$tool,$cap]}")
    ratio=$([ $tool = java ] && echo "${ratio_java[$cap]}" || echo "${ratio_py[$cap]}")
    label=$([ $tool = java ] && echo "./hicache simulate --l1-only" || echo "python3 tools/replay_l1.py")
    printf "| %s | %s | %s | %.3f | %.3f | %.2f M |\n" "$cap" "$label" "$ratio" "$r" "$w" "$(echo "$refs / $r / 1000000" | bc -l)"
  done
done
