#!/usr/bin/env bash
# Runs fuzz targets one after another, each to a fixed number of executions
# (docs/reliability.md, "Fuzzing"). Usage:
#   internal/chaos/fuzzall.sh [-n EXECS] [-p PARALLEL] [-m MINIMIZE] [-o LOGDIR] [pkg:Target ...]
# Without targets it runs every Fuzz target of the module (go test -list).
# Each target's full output goes to LOGDIR/<pkg>_<Target>.log and one summary
# line (target, wall time, the fuzzer's last status line, result) to LOGDIR/summary.txt.
# Run it niced on a shared machine: nice -n 19 internal/chaos/fuzzall.sh ...
# MINIMIZE (-fuzzminimizetime, default 1s) bounds the time spent shrinking
# each new interesting input: with Go's default (60s) an input whose coverage
# does not reproduce (a sync.Pool in fmt, say) stalls the worker for up to a
# minute and is then dropped; shrinking less keeps the same inputs, larger.
set -u
n=1000000; par=1; out=fuzz-logs; min=1s
while getopts "n:p:m:o:" o; do
  case $o in n) n=$OPTARG;; p) par=$OPTARG;; m) min=$OPTARG;; o) out=$OPTARG;; *) exit 2;; esac
done
shift $((OPTIND-1))
mkdir -p "$out"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for pkg in $(go list ./...); do
    for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
      targets+=("$pkg:$f")
    done
  done
fi
fail=0
for t in "${targets[@]}"; do
  pkg=${t%%:*}; f=${t##*:}
  log="$out/$(echo "$pkg" | tr '/.' '__')_$f.log"
  start=$(date +%s)
  go test -run '^$' -fuzz "^$f\$" -fuzztime "${n}x" -fuzzminimizetime "$min" -parallel "$par" -timeout 0 "$pkg" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  last=$(grep '^fuzz: elapsed' "$log" | tail -1)
  res=ok; [ $rc -ne 0 ] && { res="FAIL rc=$rc"; fail=1; }
  printf '%s %s %ss | %s | %s\n' "$pkg" "$f" "$secs" "$last" "$res" >>"$out/summary.txt"
done
exit $fail
