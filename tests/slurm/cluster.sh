#!/usr/bin/env bash
# A real single-node SLURM for tests: munged + slurmctld + slurmd on this host,
# configuration and state in a temporary directory.
#   source tests/slurm/cluster.sh; slurm_up DIR; ...; slurm_down
# slurm_up exports SLURM_CONF, so sbatch/squeue/scancel talk to this cluster.
# It fails loudly (non-zero, with the daemons' logs) when a daemon cannot start.

slurm_up() {
  SLURM_TEST_DIR=$1
  mkdir -p "$SLURM_TEST_DIR"/{state,spool,log}
  local host cpus mem port
  host=$(hostname)
  # A free pair of ports (slurmctld, slurmd) unless SLURM_TEST_PORT is given:
  # other test runs may have their own cluster on this machine.
  port=${SLURM_TEST_PORT:-16817}
  if [ -z "${SLURM_TEST_PORT:-}" ] && command -v ss >/dev/null; then
    while ss -Htln | awk '{print $4}' | grep -qE ":($port|$((port + 1)))\$"; do
      port=$((port + 2))
    done
  fi
  cpus=${SLURM_TEST_CPUS:-8} # more than the cores: tests oversubscribe, as MPI tests do
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  cat >"$SLURM_TEST_DIR/slurm.conf" <<CONF
ClusterName=lrstest
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
# A requeued job may start again only cred_expire + 1 s after the requeue
# (slurm.conf(5)); 120 s by default, short here so jobs/sweep.sbatch's requeue
# is tested in seconds.
AuthInfo=cred_expire=${SLURM_TEST_CRED_EXPIRE:-5}
StateSaveLocation=$SLURM_TEST_DIR/state
SlurmdSpoolDir=$SLURM_TEST_DIR/spool
SlurmctldPidFile=$SLURM_TEST_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_TEST_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_TEST_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_TEST_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
# The backfill pass (every 30 s by default) is what starts a requeued or
# dependent job here; every 5 s keeps the tests short.
SchedulerParameters=bf_interval=5
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdParameters=config_overrides
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SlurmdTimeout=30
InactiveLimit=0
KillWait=30
MinJobAge=3600
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF=$SLURM_TEST_DIR/slurm.conf

  # munged: one per machine; start it unless one answers already.
  if ! munge -n </dev/null >/dev/null 2>&1; then
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge 2>/dev/null
    [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    runuser -u munge -- /usr/sbin/munged || { echo "slurm_up: munged did not start" >&2; return 1; }
    for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
    munge -n </dev/null >/dev/null 2>&1 || { echo "slurm_up: munge does not answer" >&2; return 1; }
  fi

  /usr/sbin/slurmctld -f "$SLURM_CONF" -i || { slurm_logs; echo "slurm_up: slurmctld did not start" >&2; return 1; }
  /usr/sbin/slurmd -f "$SLURM_CONF" || { slurm_logs; echo "slurm_up: slurmd did not start" >&2; return 1; }
  local state=""
  for _ in $(seq 100); do
    state=$(sinfo -h -o %t 2>/dev/null | head -n1)
    case $state in idle|mix|alloc) return 0 ;; esac
    sleep 0.2
  done
  slurm_logs
  echo "slurm_up: node never became idle (state '$state')" >&2
  return 1
}

slurm_logs() {
  for f in "$SLURM_TEST_DIR"/log/*.log; do
    [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2
  done
}

slurm_down() {
  [ -n "${SLURM_TEST_DIR:-}" ] || return 0
  for d in slurmd slurmctld; do
    local pidfile=$SLURM_TEST_DIR/$d.pid
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  for _ in $(seq 50); do
    pgrep -f "slurm(ctld|d) -f $SLURM_CONF" >/dev/null || break
    sleep 0.1
  done
  pkill -9 -f "slurm(ctld|d) -f $SLURM_CONF" 2>/dev/null
  return 0
}

# Waits until job $1 has left the queue; fails after $2 seconds (default 300).
slurm_wait_job() {
  local job=$1 limit=${2:-300} waited=0
  while squeue -h -j "$job" 2>/dev/null | grep -q .; do
    sleep 1
    waited=$((waited + 1))
    [ $waited -ge "$limit" ] && { echo "job $job still queued after ${limit}s" >&2; return 1; }
  done
  return 0
}
