#!/usr/bin/env bash
# SLURM integration (TAP): a real single-node SLURM on this machine runs the
# jobs/ scripts and `lrsweep submit`; every sweep must end with a store equal
# to a direct mpirun run.
#   (a) a sweep that finishes in one job (the LRS_SWEEP environment form);
#   (b) a job submitted with non-default tasks, time, name, account, memory
#       and output gets the time-limit warning (USR1) early, drains, requeues
#       itself and finishes: the requeued job still has every one of them;
#   (e) the same with --no-requeue: the refused requeue ends the job non-zero
#       with one line naming the cause;
#   (g) `lrsweep submit` with non-default options, through a requeue;
#   (h) `lrsweep submit sweeps/quickstart.toml --ntasks 3 --time 00:05:00`
#       (the README's first SLURM line) completes the sweep;
#   (f) jobs/chain.sh: two jobs with the same options; a refused sbatch fails loudly;
#   (c) a 3-task job array plus the merge job;
#   (d) walltime awareness: points predicted to end after the job are not started.
# (a), (b), (e), (g), (h), (f) run side by side to keep the test short.
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
export PMIX_MCA_psec=${PMIX_MCA_psec:-native}
export OPENBLAS_NUM_THREADS=1 LRS_BIN=$lrsweep
unset LRS_SWEEP LRS_STORE LRS_ARGS LRS_DRAIN LRS_MAX_SUBMITS LRS_JOBS LRS_MERGE
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

# 24 LoRA points of about 0.4 s each (idle machine): long enough to interrupt mid-sweep.
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
max_iter = 80000
tol = 0.0
record_every = 0
records = 50
[grid]
init_scale = [1e-4, 1e-3, 1e-2]
balance = [1.05, 2.0]
TOML
mpirun -np 3 "$lrsweep" sweep.toml --store ref.h5 --quiet
check $? "reference store from a direct mpirun run"
mkdir q q/sweeps && cp "$root/sweeps/quickstart.toml" q/sweeps/
(cd q && mpirun -np 3 "$lrsweep" sweeps/quickstart.toml --store qref.h5 --quiet)
check $? "quickstart reference store from a direct mpirun run"

same() { /usr/bin/python3 "$root/tests/slurm/compare_stores.py" "$1" "$2"; }
# field JOB KEY: KEY's value in `scontrol show job JOB` (jobs stay listed for MinJobAge)
field() { scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print substr($0, length(k) + 2); exit}'; }
# Waits until job $1 runs and file $2 exists (max $3 s, default 180).
wait_running() {
  for _ in $(seq $((${3:-180} * 5))); do
    [ -f "$2" ] && [ "$(squeue -h -j "$1" -o %T 2>/dev/null)" = RUNNING ] && return 0
    sleep 0.2
  done
  return 1
}
done_points() { "$lrsweep" query "$1" --where 'status != "pending"' --select index --format csv 2>/dev/null | tail -n +2 | wc -l; }
# Sends the time-limit warning to job $1's batch script once store $2 holds a
# finished point (every rank is then past installing its signal handlers).
warn_early() {
  wait_running "$1" "$2" || return 1
  for _ in $(seq 600); do
    [ "$(done_points "$2")" -ge 1 ] && break
    sleep 0.5
  done
  scancel --signal=USR1 --batch "$1"
}
# expect JOB KEY=VALUE...: every field as given; prints the first mismatch.
expect() {
  local job=$1 kv got bad=0
  shift
  for kv in "$@"; do
    got=$(field "$job" "${kv%%=*}")
    [ "$got" = "${kv#*=}" ] || { echo "${kv%%=*}=$got, wanted ${kv#*=}"; bad=1; }
  done
  return $bad
}

# Submit (a), (b), (e), (g), (h) and (f) together.
job_a=$(LRS_SWEEP=sweep.toml LRS_STORE=a.h5 sbatch --parsable --export=ALL --ntasks=3 \
  -o a-%j.out "$root/jobs/sweep.sbatch")
# (b): every option differs from the script's #SBATCH defaults; --drain-seconds
# after the sweep file is passed to lrsweep and wins over LRS_DRAIN's default.
job_b=$(sbatch --parsable --ntasks=2 --time=00:09:00 --job-name=lrs-b-name --account=acct-b \
  --mem-per-cpu=300M -o "$work/b-%j.out" "$root/jobs/sweep.sbatch" sweep.toml --store b.h5 \
  --drain-seconds 1)
job_e=$(sbatch --parsable --ntasks=2 --no-requeue -o e-%j.out "$root/jobs/sweep.sbatch" \
  sweep.toml --store e.h5 --drain-seconds 1)
"$lrsweep" submit sweep.toml --ntasks 2 --time 00:08:00 --account acct-g --store g.h5 \
  -- --job-name=lrs-g-name -o "g-%j.out" >g.submit 2>&1
check $? "(g) lrsweep submit: exit 0 ($(tail -n 1 g.submit))"
job_g=$(sed -n 's/^Submitted batch job //p' g.submit)
(cd q && "$lrsweep" submit sweeps/quickstart.toml --ntasks 3 --time 00:05:00 >h.submit 2>&1)
check $? "(h) lrsweep submit sweeps/quickstart.toml --ntasks 3 --time 00:05:00: exit 0"
job_h=$(sed -n 's/^Submitted batch job //p' q/h.submit)
(cd q && "$root/jobs/chain.sh" 2 sweeps/quickstart.toml --ntasks=2 --job-name=lrs-chain \
  --account=acct-c -o "ch-%j.out" -- --store ch.h5 >chain.out 2>&1)
check $? "(f) chain of 2 jobs submitted: $(tr '\n' ' ' <q/chain.out)"
chain=$(sed -n 's/^job [0-9]* of 2: //p' q/chain.out | tr '\n' ' ')

warn_early "$job_b" b.h5 & warn_early "$job_e" e.h5 & warn_early "$job_g" g.h5 &
wait
for job in $job_a $job_b $job_e $job_g $job_h $chain; do
  slurm_wait_job "$job" 400 || check 1 "job $job ends"
done

out=$(same a.h5 ref.h5)
check $? "(a) one job: store equal to the direct run ($out)"

# (b) the requeued job is the job as submitted.
restarts=$(field "$job_b" Restarts)
check $((restarts < 1)) "(b) the job drained and requeued itself (Restarts=$restarts)"
bad=$(expect "$job_b" JobState=COMPLETED ExitCode=0:0 NumTasks=2 TimeLimit=00:09:00 \
  JobName=lrs-b-name Account=acct-b MinMemoryCPU=300M CPUs/Task=1 Partition=debug \
  StdOut="$work/b-$job_b.out")
check $? "(b) after the requeue: completed, and tasks 2, time 00:09:00, name, account, memory, output as submitted${bad:+: $bad}"
grep -q "^lrsweep job $job_b run 2 (at most 20): 2 tasks, name lrs-b-name, account acct-b," "b-$job_b.out"
check $? "(b) the second run saw 2 tasks, its name and account ($(grep -c '^lrsweep job [0-9]* run' "b-$job_b.out") runs logged)"
out=$(same b.h5 ref.h5)
check $? "(b) resumed through the requeue: store equal to the direct run ($out)"

# (e) a requeue SLURM refuses ends the job non-zero, with the cause.
bad=$(expect "$job_e" JobState=FAILED ExitCode=1:0 Restarts=0)
check $? "(e) refused requeue: the job failed with exit 1${bad:+: $bad}"
line=$(grep "requeue of job $job_e failed" "e-$job_e.out")
[ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] && [[ $line == *"presently disabled"*"--no-requeue"* ]]
check $? "(e) one line names the cause: $line"

# (g) lrsweep submit, through a requeue.
bad=$(expect "$job_g" JobState=COMPLETED ExitCode=0:0 NumTasks=2 TimeLimit=00:08:00 \
  JobName=lrs-g-name Account=acct-g)
check $? "(g) completed after $(field "$job_g" Restarts) requeue(s), with its tasks, time, name and account${bad:+: $bad}"
check $(($(field "$job_g" Restarts) < 1)) "(g) the warning made the job requeue itself"
out=$(same g.h5 ref.h5)
check $? "(g) store equal to the direct run ($out)"

# (h) the README's first SLURM line.
bad=$(expect "$job_h" JobState=COMPLETED ExitCode=0:0 NumTasks=3 TimeLimit=00:05:00)
check $? "(h) quickstart job $job_h completed${bad:+: $bad}"
out=$(same q/quickstart.h5 q/qref.h5)
check $? "(h) quickstart.h5 equal to the direct run ($out)"

# (f) the chain: both jobs with the options given, the second after the first.
ok=0 bad=""
for job in $chain; do
  bad+=$(expect "$job" JobState=COMPLETED ExitCode=0:0 NumTasks=2 JobName=lrs-chain Account=acct-c) || ok=1
done
[ "$(echo "$chain" | wc -w)" -eq 2 ] || ok=1
check $ok "(f) both chain jobs completed with tasks, name and account as given${bad:+: $bad}"
out=$(same q/ch.h5 q/qref.h5)
check $? "(f) chain store (lrsweep options after --) equal to the direct run ($out)"
err=$("$root/jobs/chain.sh" 2 q/sweeps/quickstart.toml --partition=nosuch 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ $err == *"job 1 of 2 failed"*"nosuch"* ]]
check $? "(f) a refused sbatch: chain.sh exits 1 with one line ($err)"
err=$(cd q && "$lrsweep" submit sweeps/quickstart.toml --partition nosuch 2>&1 >/dev/null)
rc=$?
check $((rc == 0)) "(f) a refused sbatch: lrsweep submit exits $rc ($(printf '%s' "$err" | tail -n 1))"

# (c) a 3-task array and the merge job (jobs/sweep.sbatch with LRS_MERGE).
LRS_STORE_BASE=c "$root/jobs/submit_array.sh" 3 sweep.toml c.h5 --ntasks=2 --job-name=lrs-c >submit.out
check $? "(c) array and merge submitted: $(cat submit.out)"
array=$(sed -n 's/^array job \([0-9]*\).*/\1/p' submit.out)
merge=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' submit.out)
slurm_wait_job "$merge" 400
check $? "(c) array and merge jobs end"
ls c.shard-0.h5 c.shard-1.h5 c.shard-2.h5 >/dev/null 2>&1
check $? "(c) three shard stores written"
bad=$(expect "$merge" JobState=COMPLETED ExitCode=0:0 NumTasks=2 JobName=lrs-c)
check $? "(c) merge job $merge (after array $array) completed with the options given${bad:+: $bad}"
out=$(same c.h5 ref.h5)
check $? "(c) merged store equal to the direct run ($out)"

# (d) walltime awareness: with the job's end 5 s away, points predicted to end
# later are not started; the run stops resumable (75) before the end.
start=$(date +%s)
SLURM_JOB_END_TIME=$((start + 5)) "$lrsweep" sweep.toml --store d.h5 --end-margin 0 --quiet
rc=$? took=$(($(date +%s) - start))
check $((rc != 75)) "(d) held back by the time limit: exit 75 (got $rc)"
check $((took > 6)) "(d) ended before the job's end plus one point (${took} s)"
done_d=$(done_points d.h5)
check $((done_d == 0 || done_d >= 24)) "(d) some but not all points ran ($done_d of 24)"
"$lrsweep" sweep.toml --store d.h5 --quiet
out=$(same d.h5 ref.h5)
check $? "(d) the resumed store equals the direct run ($out)"

for f in *.out q/*.out; do sed "s|^|# $f: |" "$f" | tail -n 6; done
finish
