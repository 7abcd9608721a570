#!/usr/bin/env bash
# Submits a sweep as a chain of N batch jobs, each starting when the previous
# one ends (afterany): an alternative to jobs/sweep.sbatch's resubmission on
# clusters that forbid jobs from submitting jobs. A job that finds the sweep
# complete exits at once.
#
# usage: jobs/chain.sh N SWEEP.toml [sbatch options...]
#   e.g. jobs/chain.sh 5 sweeps/p2_fig1.toml --ntasks=17 --time=04:00:00 --account=X
# Environment knobs as for jobs/sweep.sbatch (LRS_STORE, LRS_GROUP_SIZE, ...).
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 2; }
n=$1 sweep=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
prev=""
for i in $(seq 1 "$n"); do
  dep=()
  [ -n "$prev" ] && dep=(--dependency=afterany:"$prev")
  prev=$(LRS_SWEEP=$sweep LRS_MAX_SUBMITS=1 LRS_JOB_SCRIPT="$here/sweep.sbatch" \
    sbatch --parsable --export=ALL "${dep[@]}" "$@" "$here/sweep.sbatch")
  echo "job $i of $n: $prev"
done
