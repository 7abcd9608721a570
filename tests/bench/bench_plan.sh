#!/usr/bin/env bash
# Benchmark: `lrsweep plan` on a 10^6-point grid against a 1-point sweep, side
# by side in one run (wall seconds and peak memory from GNU time).
# usage: tests/bench/bench_plan.sh [BUILD_DIR]   (default build-bench, release)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-bench}
[ -n "${1:-}" ] || scripts/build.sh "$dir" --buildtype=release -Dtests=false
one=$(mktemp --suffix=.toml)
trap 'rm -f "$one"' EXIT
printf '[sweep]\nname = "one"\n' >"$one"

measure() { # prints "seconds max_rss_kib"
  local best=1e9 rss=0
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o /tmp/lrs_bench_time "$dir/lrsweep" plan "$1" >/dev/null
    read -r s m </tmp/lrs_bench_time
    best=$(python3 -c "print(min($best, $s))"); rss=$m
  done
  echo "$best $rss"
}
read -r t1 m1 < <(measure "$one")
read -r tN mN < <(measure tests/bench/plan_1e6.toml)
printf '%-26s %12s %14s\n' workload seconds "peak RSS KiB"
printf '%-26s %12s %14s\n' "plan, 1 point" "$t1" "$m1"
printf '%-26s %12s %14s\n' "plan, 10^6 points" "$tN" "$mN"
python3 -c "print(f'ratio 10^6 / 1 point: time {max($tN,0.01)/max($t1,0.01):.1f}x, memory {$mN/$m1:.2f}x')"
