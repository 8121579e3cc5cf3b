#!/usr/bin/env bash
# Start a single-node Slurm on localhost for b2's tests, from Debian's packages,
# as root and without systemd or cgroups.
#
# Idempotent: installs only missing packages, writes /etc/slurm/slurm.conf only
# when its settings change, starts only the daemons that are not already
# running (whoever started them), waits until the node accepts jobs and prints
# one line starting with "SLURM READY". Daemons it starts are recorded by pid
# file in $SLURM_LOCAL_RUN; scripts/slurm-down.sh stops exactly those.
#
# Settings (environment):
#   SLURM_CPUS=8            CPUs declared for the node (more than the machine has is fine)
#   SLURM_MIN_JOB_AGE=600   seconds a finished job stays visible to squeue/scontrol
#   SLURM_PARTITION=debug   name of the default partition
#   SLURM_LOCAL_RUN=/run/slurm-local   where the pid files of started daemons go
set -euo pipefail

CPUS=${SLURM_CPUS:-8}
MIN_JOB_AGE=${SLURM_MIN_JOB_AGE:-600}
PARTITION=${SLURM_PARTITION:-debug}
RUNDIR=${SLURM_LOCAL_RUN:-/run/slurm-local}
HOST=$(hostname -s)
CONF=/etc/slurm/slurm.conf
STATE_DIR=/var/lib/slurm/slurmctld
SPOOL_DIR=/var/lib/slurm/slurmd
LOG_DIR=/var/log/slurm
PID_DIR=/run/slurm
JOBCOMP=$LOG_DIR/jobcomp.log
INSTALL_LOG=/var/log/b2-slurm-install.log
PACKAGES=(munge slurmctld slurmd slurm-client)
started=()
t0=$EPOCHREALTIME

log() { echo "[slurm-up] $*" >&2; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
die() { echo "[slurm-up] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts daemons)"
[[ "$CPUS" =~ ^[1-9][0-9]*$ ]] || die "SLURM_CPUS must be a positive number, got '$CPUS'"

# ---- packages -----------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (log: $INSTALL_LOG)"
  export DEBIAN_FRONTEND=noninteractive
  apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -qq "$@" >>"$INSTALL_LOG" 2>&1; }
  : >"$INSTALL_LOG"
  # Refresh the package lists only when they do not know the packages yet.
  apt-cache policy slurmctld 2>/dev/null | grep -q 'Candidate: [0-9]' || apt_get update \
    || { tail -20 "$INSTALL_LOG" >&2; die "apt-get update failed"; }
  # Without recommends: a handful of packages instead of dozens, none of them needed here.
  apt_get install --no-install-recommends "${PACKAGES[@]}" \
    || { apt_get update && apt_get install --no-install-recommends "${PACKAGES[@]}"; } \
    || { tail -30 "$INSTALL_LOG" >&2; die "apt-get install failed, see $INSTALL_LOG"; }
fi
t_install=$(since "$t0")
t1=$EPOCHREALTIME

# ---- directories and munge key ------------------------------------------------
mkdir -p "$RUNDIR" "$PID_DIR" "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR" /run/munge /var/log/munge /var/lib/munge /etc/munge
chown slurm:slurm "$PID_DIR" "$STATE_DIR" "$LOG_DIR"
chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
chmod 755 /run/munge
chmod 700 /etc/munge
if [ ! -s /etc/munge/munge.key ]; then   # normally created by the munge package
  log "creating /etc/munge/munge.key"
  head -c 128 /dev/urandom >/etc/munge/munge.key   # the size mungekey creates
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
# `sacct -c` opens the completion file for appending even to read it, so users
# other than root need write access to it.
touch "$JOBCOMP"
chown slurm:slurm "$JOBCOMP"
chmod 666 "$JOBCOMP"

# ---- slurm.conf -----------------------------------------------------------------
# 90% of the memory, in MB: slurmd drains a node that declares more than it has.
mem_mb=$(( $(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo) * 9 / 10 ))
new_conf=$(mktemp)
trap 'rm -f "$new_conf"' EXIT
cat >"$new_conf" <<EOF
# Single-node test cluster for b2, written by scripts/slurm-up.sh.
# No systemd, no cgroups: process tracking by parent pid, no task containment.
ClusterName=localcluster
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=${STATE_DIR}
SlurmdSpoolDir=${SPOOL_DIR}
SlurmctldPidFile=${PID_DIR}/slurmctld.pid
SlurmdPidFile=${PID_DIR}/slurmd.pid
SlurmctldLogFile=${LOG_DIR}/slurmctld.log
SlurmdLogFile=${LOG_DIR}/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
MpiDefault=none
SwitchType=switch/none
# No accounting database: plain sacct reports "accounting storage is disabled";
# 'sacct -c' reads the job completion file below (finished jobs only).
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=${JOBCOMP}
# Cores are the consumable resource. Memory is not tracked: with memory as a
# consumable and no default per CPU, each job would take the whole node.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Start pending jobs about every second instead of every 3 s.
SchedulerParameters=batch_sched_delay=0
# Accept the declared CPU count even when the machine has fewer.
SlurmdParameters=config_overrides
ReturnToService=2
# Finished jobs stay visible to squeue -t all and scontrol this long (seconds).
MinJobAge=${MIN_JOB_AGE}
KillWait=5
InactiveLimit=0
Waittime=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} Boards=1 SocketsPerBoard=1 CoresPerSocket=${CPUS} ThreadsPerCore=1 RealMemory=${mem_mb} State=UNKNOWN
PartitionName=${PARTITION} Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
EOF
settings() { grep -v -e '^#' -e '^[[:space:]]*$' "$1" 2>/dev/null; }
conf_changed=0
# Comments alone never rewrite the file or restart anything.
if [ "$(settings "$new_conf")" != "$(settings "$CONF")" ]; then
  log "writing $CONF"
  install -m 644 "$new_conf" "$CONF"
  conf_changed=1
fi

# ---- daemons --------------------------------------------------------------------
# pid_in_file NAME PIDFILE: the pid of a live NAME process named by PIDFILE.
pid_in_file() {
  local pid
  [ -s "$2" ] && pid=$(<"$2") && [ -r "/proc/$pid/comm" ] && [ "$(<"/proc/$pid/comm")" = "$1" ] && echo "$pid"
}
# running NAME PIDFILE: as pid_in_file, else any NAME process (a copy started
# some other way must not get a twin).
running() {
  local comm pid
  pid_in_file "$1" "$2" && return 0
  for comm in /proc/[0-9]*/comm; do
    [ "$(cat "$comm" 2>/dev/null)" = "$1" ] && { pid=${comm#/proc/}; echo "${pid%/comm}"; return 0; }
  done
  return 1
}
# start NAME PIDFILE COMMAND...: start a daemon, wait for its own pid file (the
# launched process forks and exits) and record it, so that slurm-down.sh stops
# it and nothing else.
start() {
  local name=$1 file=$2 i pid
  shift 2
  log "starting $name"
  (cd / && "$@") || return 1
  for ((i = 0; i < 200; i++)); do
    pid=$(pid_in_file "$name" "$file") && { echo "$pid" >"$RUNDIR/$name.pid"; started+=("$name"); return 0; }
    sleep 0.1
  done
  return 1
}
stop_recorded() {  # NAME: a daemon we started earlier, before the config changed
  local pid i
  [ -s "$RUNDIR/$1.pid" ] || return 0
  pid=$(<"$RUNDIR/$1.pid")
  if [ -r "/proc/$pid/comm" ] && [ "$(<"/proc/$pid/comm")" = "$1" ]; then
    log "restarting $1 (pid $pid) for the new configuration"
    kill -TERM "$pid"
    for ((i = 0; i < 150; i++)); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    [ ! -d "/proc/$pid" ] || kill -KILL "$pid"
  fi
  rm -f "$RUNDIR/$1.pid"
}

if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "munged is running"
else
  start munged /run/munge/munged.pid runuser -u munge -- /usr/sbin/munged --force --pid-file=/run/munge/munged.pid \
    || die "munged did not start, see /var/log/munge/munged.log"
  munge -n </dev/null | unmunge >/dev/null || die "munged runs but a munge/unmunge round trip fails"
fi

if [ "$conf_changed" = 1 ]; then
  stop_recorded slurmd
  stop_recorded slurmctld
fi

if pid=$(running slurmctld "$PID_DIR/slurmctld.pid"); then
  log "slurmctld is running (pid $pid)"
  if [ "$conf_changed" = 1 ]; then
    log "slurmctld was not started here: asking it to reread $CONF"
    scontrol reconfigure || log "scontrol reconfigure failed; restart slurmctld to apply $CONF"
  fi
else
  start slurmctld "$PID_DIR/slurmctld.pid" /usr/sbin/slurmctld \
    || { tail -20 "$LOG_DIR/slurmctld.log" >&2; die "slurmctld did not start, see $LOG_DIR/slurmctld.log"; }
fi

# slurmd registers with slurmctld, so it comes second.
if pid=$(running slurmd "$PID_DIR/slurmd.pid"); then
  log "slurmd is running (pid $pid)"
else
  start slurmd "$PID_DIR/slurmd.pid" /usr/sbin/slurmd \
    || { tail -20 "$LOG_DIR/slurmd.log" >&2; die "slurmd did not start, see $LOG_DIR/slurmd.log"; }
fi

# ---- wait until the node takes jobs ---------------------------------------------
state=""
for ((i = 0; i < 600; i++)); do
  state=$(sinfo -h -n "$HOST" -o '%T' 2>/dev/null | head -1 || true)
  case "$state" in
    idle | mixed | allocated | completing) break ;;
    drain* | down* | fail*)
      # e.g. left "down" by an earlier unclean stop; ReturnToService does not cover every case
      [ $((i % 20)) != 0 ] || scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.1
done
case "$state" in
  idle | mixed | allocated | completing) ;;
  *) sinfo -R >&2 || true; die "node $HOST is not usable after 60 s (state '${state:-none}'), see $LOG_DIR/slurmd.log" ;;
esac

printf 'SLURM READY: node=%s partition=%s cpus=%s state=%s started=%s (packages %ss, start %ss)\n' \
  "$HOST" "$PARTITION" "$CPUS" "$state" "$(IFS=,; echo "${started[*]:-none}")" \
  "$t_install" "$(since "$t1")"
