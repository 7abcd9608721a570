#!/usr/bin/env bash
# Submits a sweep as a job array of N shards plus a merge job that combines the
# shard stores into OUT.h5 once every task has ended (afterany), then finishes
# any point a shard left undone by running the sweep on OUT.h5 in that job.
#
# usage: jobs/submit_array.sh N SWEEP.toml OUT.h5 [sbatch options...]
#   e.g. jobs/submit_array.sh 3 sweeps/p1_fig1.toml p1.h5 --ntasks=9 --time=01:00:00
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,8p' "$0"; exit 2; }
n=$1 sweep=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
base=${LRS_STORE_BASE:-$(basename "$sweep" .toml)}
bin=${LRS_BIN:-$(command -v lrsweep || echo build/lrsweep)}
array=$(LRS_SWEEP=$sweep LRS_STORE_BASE=$base sbatch --parsable --export=ALL \
  --array=0-$((n - 1)) "$@" "$here/array.sbatch")
shards=$(for i in $(seq 0 $((n - 1))); do printf '%s.shard-%s.h5 ' "$base" "$i"; done)
merge=$(sbatch --parsable --export=ALL --dependency=afterany:"$array" "$@" \
  --job-name=lrsweep-merge --output="lrsweep-merge-%j.out" \
  --wrap="$bin merge $out $shards; mpirun -np \${SLURM_NTASKS:-1} $bin $sweep --store $out")
echo "array job $array ($n shards), merge job $merge → $out"
