#!/bin/bash
# one run: the read-ahead thread's user/sys CPU (ticks) and context switches, last sample before exit
"$@" > /tmp/rah21/ctx.out 2>/dev/null &
pid=$!
last=""
while kill -0 $pid 2>/dev/null; do
  for t in /proc/$pid/task/*; do
    if [ "$(cat $t/comm 2>/dev/null)" = "hicache-read-ah" ]; then
      x="$(awk '{print "utime="$14" stime="$15}' $t/stat 2>/dev/null) $(grep ctxt $t/status 2>/dev/null | tr -d '\t' | tr '\n' ' ')"
      [ -n "$x" ] && last="$x"
    fi
  done
  sleep 0.1
done
wait
echo "$last"
