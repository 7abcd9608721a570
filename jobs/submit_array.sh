#!/usr/bin/env bash
# Submits a sweep as a job array of N shards (jobs/array.sbatch) plus a merge
# job (jobs/sweep.sbatch with LRS_MERGE) that, once every task has ended
# (afterany), merges the shard stores into OUT.h5 and runs the sweep on it to
# finish any point a shard left, requeueing itself until the sweep is complete.
# Both get the same sbatch options, so the merge job keeps the tasks, time,
# account, ... given here; its name is lrsweep-merge unless a --job-name is given.
#
# usage: jobs/submit_array.sh N SWEEP.toml OUT.h5 [sbatch options...] [-- lrsweep options...]
#   e.g. jobs/submit_array.sh 3 sweeps/p1_fig1.toml p1.h5 --ntasks=9 --time=01:00:00
# A refused sbatch ends the script with exit 1 and one line naming sbatch's reason.
set -uo pipefail
if [ $# -lt 3 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
n=$1 sweep=$2 out=$3
shift 3
sbatch_opts=() lrs_opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sbatch_opts+=("$1"); shift; done
[ $# -gt 0 ] && shift && lrs_opts=("$@")
here=$(cd "$(dirname "$0")" && pwd)
base=${LRS_STORE_BASE:-$(basename "$sweep" .toml)}
job_id() { printf '%s\n' "$1" | grep -E '^[0-9]+' | tail -n 1 | cut -d';' -f1; }

if ! res=$(LRS_STORE_BASE=$base sbatch --parsable --export=ALL --array=0-$((n - 1)) \
  "${sbatch_opts[@]}" "$here/array.sbatch" "$sweep" "${lrs_opts[@]}" 2>&1); then
  echo "submit_array.sh: sbatch of the array failed: ${res//$'\n'/; }" >&2
  exit 1
fi
array=$(job_id "$res")
shards=$(for i in $(seq 0 $((n - 1))); do printf '%s.shard-%s.h5 ' "$base" "$i"; done)
# Our --job-name/--output first: the user's own, later on the line, win.
if ! res=$(LRS_MERGE=$shards LRS_STORE=$out sbatch --parsable --export=ALL \
  --job-name=lrsweep-merge --output=lrsweep-merge-%j.out "${sbatch_opts[@]}" \
  --dependency=afterany:"$array" "$here/sweep.sbatch" "$sweep" "${lrs_opts[@]}" 2>&1); then
  echo "submit_array.sh: sbatch of the merge job failed: ${res//$'\n'/; } (array job $array stays queued)" >&2
  exit 1
fi
merge=$(job_id "$res")
echo "array job $array ($n shards), merge job $merge → $out"
