#!/usr/bin/env bash
# Stop the Slurm daemons that scripts/slurm-up.sh started, and only those: the
# ones recorded by pid file in $SLURM_LOCAL_RUN. Jobs still queued or running
# are cancelled first so that no job processes outlive the cluster
# (SLURM_KEEP_JOBS=1 keeps them; slurmctld recovers them on its next start).
# Prints "SLURM DOWN" at the end.
set -uo pipefail

RUNDIR=${SLURM_LOCAL_RUN:-/run/slurm-local}
log() { echo "[slurm-down] $*" >&2; }

# recorded NAME: the pid of NAME if its pid file names a live process of that name
recorded() {
  local file="$RUNDIR/$1.pid" pid
  [ -s "$file" ] || return 1
  pid=$(<"$file")
  [ -r "/proc/$pid/comm" ] && [ "$(<"/proc/$pid/comm")" = "$1" ] && echo "$pid"
}

stop() {   # NAME
  local pid i
  if pid=$(recorded "$1"); then
    log "stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 200; i++)); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    if [ -d "/proc/$pid" ]; then
      log "$1 still runs after 20 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -f "$RUNDIR/$1.pid"
}

if [ "${SLURM_KEEP_JOBS:-0}" != 1 ] && recorded slurmctld >/dev/null && recorded slurmd >/dev/null; then
  ids=$(squeue -h -o '%i' 2>/dev/null | tr '\n' ' ')
  if [ -n "${ids// /}" ]; then
    log "cancelling jobs $ids"
    # shellcheck disable=SC2086 # one id per word
    scancel $ids 2>/dev/null
    for ((i = 0; i < 150; i++)); do   # KillWait=5 s, so normally quick
      [ -z "$(squeue -h -t PD,R,CG,S,CF -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
fi

stop slurmd
stop slurmctld
stop munged
echo "SLURM DOWN"
