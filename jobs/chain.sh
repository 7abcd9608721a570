#!/usr/bin/env bash
# Submits a sweep as a chain of N batch jobs of jobs/sweep.sbatch, each starting
# when the previous one ends (afterany): an alternative to sweep.sbatch's requeue
# on clusters that forbid requeueing. Every job gets the same sbatch options (so
# each keeps the tasks, time, account, ... given here); a job that finds the
# sweep complete exits at once.
#
# usage: jobs/chain.sh N SWEEP.toml [sbatch options...] [-- lrsweep options...]
#   e.g. jobs/chain.sh 5 sweeps/p2_fig1.toml --ntasks=17 --time=04:00:00 --account=X
# Environment knobs as for jobs/sweep.sbatch (LRS_STORE, LRS_GROUP_SIZE, ...).
# A refused sbatch ends the script with exit 1 and one line naming the job and
# sbatch's reason (jobs already submitted stay queued).
set -uo pipefail
if [ $# -lt 2 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
n=$1 sweep=$2
shift 2
sbatch_opts=() lrs_opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sbatch_opts+=("$1"); shift; done
[ $# -gt 0 ] && shift && lrs_opts=("$@")
here=$(cd "$(dirname "$0")" && pwd)
prev="" ids=""
for i in $(seq 1 "$n"); do
  dep=()
  [ -n "$prev" ] && dep=(--dependency=afterany:"$prev")
  # LRS_MAX_SUBMITS=1: each job runs once; the chain, not a requeue, continues it.
  if ! out=$(LRS_MAX_SUBMITS=1 sbatch --parsable --export=ALL "${dep[@]}" "${sbatch_opts[@]}" \
    "$here/sweep.sbatch" "$sweep" "${lrs_opts[@]}" 2>&1); then
    echo "chain.sh: sbatch of job $i of $n failed: ${out//$'\n'/; }${ids:+ (jobs$ids stay queued)}" >&2
    exit 1
  fi
  prev=$(printf '%s\n' "$out" | grep -E '^[0-9]+' | tail -n 1 | cut -d';' -f1)
  ids="$ids $prev"
  echo "job $i of $n: $prev"
done
