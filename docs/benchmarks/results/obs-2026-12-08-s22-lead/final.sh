#!/bin/bash
# final.sh OUT ROUNDS NEWJAR BASEJAR
out=$1; r=$2; N=$3; B=$4
bash /work/main/docs/benchmarks/results/obs-2026-12-07e/run.sh $out $r "new-on=$N|-p mode=on" "old-on=$B|-p mode=on" "h2h-on=$N|-p base=on -p mode=on -p baseClassPath=$B" "new-aa=$N|-p mode=off"
( for f in $out/new-on.txt $out/old-on.txt $out/h2h-on.txt $out/new-aa.txt; do
  python3 /work/main/docs/benchmarks/results/obs-2026-12-07c/agg-paired.py $f
  python3 /work/main/docs/benchmarks/results/obs-2026-12-07e/split.py $f | tail -2
done ) > $out/summary.txt 2>&1
