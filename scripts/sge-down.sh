#!/usr/bin/env bash
# Stop the Grid Engine daemons that scripts/sge-up.sh started, and only those:
# the ones recorded by pid file in $SGE_LOCAL_RUN. All jobs are deleted first
# (SGE_KEEP_JOBS=1 keeps them). Configuration and spool stay, so the next
# sge-up.sh starts in seconds. Prints "SGE DOWN" at the end.
set -uo pipefail

RUNDIR=${SGE_LOCAL_RUN:-/run/sge-local}
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
export PATH=/usr/lib/gridengine:$PATH
log() { echo "[sge-down] $*" >&2; }

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
    for ((i = 0; i < 300; i++)); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    if [ -d "/proc/$pid" ]; then
      log "$1 still runs after 30 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -f "$RUNDIR/$1.pid"
}

if [ "${SGE_KEEP_JOBS:-0}" != 1 ] && recorded sge_qmaster >/dev/null && [ -n "$(qstat -u '*' 2>/dev/null)" ]; then
  log "deleting all jobs"
  qdel -f -u '*' >/dev/null 2>&1
  for ((i = 0; i < 100; i++)); do
    [ -z "$(qstat -u '*' 2>/dev/null)" ] && break
    sleep 0.2
  done
fi

stop sge_execd
stop sge_qmaster
echo "SGE DOWN"
