#!/usr/bin/env bash
# SLURM integration (TAP): a real single-node SLURM on this machine runs the
# jobs/ scripts; each case must end with a store equal to a direct mpirun run.
#   (a) a sweep that finishes in one job;
#   (b) a job that gets the time-limit warning (USR1) early and must finish
#       through resubmission;
#   (c) a 3-task job array plus merge;
#   (d) walltime awareness: points predicted to end after the job are not started.
# If the daemons cannot start, the test fails loudly.
# usage: test_slurm.sh LRSWEEP SOURCE_ROOT
set -u
lrsweep=$(readlink -f "$1")
root=$(readlink -f "$2")
n=0 failed=0
check() { # check OK_STATUS "what"
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
finish() { echo "1..$n"; [ $failed -eq 0 ]; exit $?; }

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 LRS_BIN=$lrsweep
work=$(mktemp -d /tmp/lrs-slurm.XXXXXX)
# shellcheck source=cluster.sh
source "$root/tests/slurm/cluster.sh"
trap 'slurm_down; rm -rf "$work"' EXIT
cd "$work" || exit 1

if ! slurm_up "$work/cluster" >"$work/up.log" 2>&1; then
  sed 's/^/# /' "$work/up.log"
  check 1 "a local SLURM starts (munged, slurmctld, slurmd)"
  finish
fi
check 0 "a local SLURM starts (munged, slurmctld, slurmd)"

# 24 LoRA points of about a second each: long enough to interrupt mid-sweep.
cat >sweep.toml <<'TOML'
[sweep]
name = "slurm"
replicates = 4
[problem]
model = "lora"
input_dim = 8
output_dim = 8
width = 40
lora_rank = 2
init = "small"
[solver]
step_rule = "fixed"
step_size = 1e-3
max_iter = 150000
tol = 0.0
record_every = 0
records = 50
[grid]
init_scale = [1e-4, 1e-3, 1e-2]
balance = [1.05, 2.0]
TOML
mpirun -np 3 "$lrsweep" sweep.toml --store ref.h5 --quiet
check $? "reference store from a direct mpirun run"

wait_all() { # waits until no job of ours is queued or running (max $1 s)
  for _ in $(seq "$1"); do
    squeue -h 2>/dev/null | grep -q . || return 0
    sleep 1
  done
  return 1
}
same() { /usr/bin/python3 "$root/tests/slurm/compare_stores.py" "$1" ref.h5; }

# (a) one job.
job=$(LRS_SWEEP=sweep.toml LRS_STORE=a.h5 sbatch --parsable --export=ALL --ntasks=3 \
  -o a-%j.out "$root/jobs/sweep.sbatch")
wait_all 180
check $? "(a) job $job ends"
out=$(same a.h5)
check $? "(a) one job: store equal to the direct run ($out)"

# (b) the warning signal early: drain, exit 75, resubmission, completion.
job=$(LRS_SWEEP=sweep.toml LRS_STORE=b.h5 LRS_DRAIN=1 sbatch --parsable --export=ALL \
  --ntasks=3 -o b-%j.out "$root/jobs/sweep.sbatch")
for _ in $(seq 100); do
  [ -f b.h5 ] && [ "$(squeue -h -j "$job" -o %T 2>/dev/null)" = RUNNING ] && break
  sleep 0.2
done
sleep 2
scancel --signal=USR1 --batch "$job"
wait_all 300
check $? "(b) the chain of jobs ends"
grep -q "resubmitted as job" b-"$job".out
check $? "(b) the first job drained and resubmitted itself ($(grep -ho 'resubmitted as job [0-9]*' b-*.out | head -1))"
next=$(grep -ho 'resubmitted as job [0-9]*' b-"$job".out | grep -o '[0-9]*$')
grep -q "points done" "lrsweep-$next.out" 2>/dev/null
check $? "(b) the resubmitted job $next finished the sweep"
out=$(same b.h5)
check $? "(b) resumed through resubmission: store equal to the direct run ($out)"

# (c) a 3-task array and the merge job.
LRS_STORE_BASE=c "$root/jobs/submit_array.sh" 3 sweep.toml c.h5 --ntasks=2 >submit.out
check $? "(c) array and merge submitted: $(cat submit.out)"
wait_all 300
check $? "(c) array and merge jobs end"
ls c.shard-0.h5 c.shard-1.h5 c.shard-2.h5 >/dev/null 2>&1
check $? "(c) three shard stores written"
out=$(same c.h5)
check $? "(c) merged store equal to the direct run ($out)"

# (d) walltime awareness: with the job's end 5 s away, points predicted to end
# later are not started; the run stops resumable (75) before the end.
start=$(date +%s)
SLURM_JOB_END_TIME=$((start + 5)) "$lrsweep" sweep.toml --store d.h5 --end-margin 0 --quiet
rc=$? took=$(($(date +%s) - start))
check $((rc != 75)) "(d) held back by the time limit: exit 75 (got $rc)"
check $((took > 6)) "(d) ended before the job's end plus one point (${took} s)"
done_d=$("$lrsweep" query d.h5 --where 'status != "pending"' --select index --format csv | tail -n +2 | wc -l)
check $((done_d == 0 || done_d >= 24)) "(d) some but not all points ran ($done_d of 24)"
"$lrsweep" sweep.toml --store d.h5 --quiet
out=$(same d.h5)
check $? "(d) the resumed store equals the direct run ($out)"

for f in *.out; do sed "s|^|# $f: |" "$f" | tail -n 5; done
finish
