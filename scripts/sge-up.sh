#!/usr/bin/env bash
# Start a single-host Grid Engine (Son of Grid Engine 8.1.9, Debian's
# gridengine-* packages) on localhost for b2's tests, as root, without systemd.
#
# Idempotent: installs only missing packages (debconf answers preseeded),
# starts sge_qmaster and sge_execd only if they are not running (whoever
# started them), (re)applies the configuration b2's tests rely on and checks
# it took, waits until the queue instance accepts jobs and prints one line
# starting with "SGE READY". Daemons it starts are recorded by pid file in
# $SGE_LOCAL_RUN; scripts/sge-down.sh stops exactly those.
#
# Configuration: root may run jobs, scheduling every second, accounting
# written at once (qacct sees a job right after it ends), queue $SGE_QUEUE with
# $SGE_SLOTS slots, bash as the job shell, parallel environment "smp".
#
# Clients: source $SGE_LOCAL_RUN/env.sh (SGE_ROOT, SGE_CELL, and PATH with the
# q* binaries; Debian's /usr/bin/q* wrappers cost 0.5-1.5 s a call).
#
# Settings (environment): SGE_SLOTS=8, SGE_QUEUE=all.q, SGE_LOCAL_RUN=/run/sge-local
set -euo pipefail

SLOTS=${SGE_SLOTS:-8}
QUEUE=${SGE_QUEUE:-all.q}
RUNDIR=${SGE_LOCAL_RUN:-/run/sge-local}
HOST=$(hostname -s)
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
export PATH=/usr/lib/gridengine:$PATH
COMMON=$SGE_ROOT/$SGE_CELL/common
QMASTER_SPOOL=/var/spool/gridengine/qmaster
EXECD_SPOOL=/var/spool/gridengine/execd
INSTALL_LOG=/var/log/b2-sge-install.log
PACKAGES=(gridengine-master gridengine-exec gridengine-client)
started=()
t0=$EPOCHREALTIME

log() { echo "[sge-up] $*" >&2; }
die() { echo "[sge-up] ERROR: $*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts daemons)"
[[ "$SLOTS" =~ ^[1-9][0-9]*$ ]] || die "SGE_SLOTS must be a positive number, got '$SLOTS'"

# ---- packages -----------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (log: $INSTALL_LOG)"
  export DEBIAN_FRONTEND=noninteractive
  # Let the packages' postinst create the cell "default" with this host as master.
  for p in gridengine-common gridengine-client gridengine-master gridengine-exec; do
    echo "$p shared/gridengineconfig boolean true"
    echo "$p shared/gridenginecell string default"
    echo "$p shared/gridenginemaster string $HOST"
  done | debconf-set-selections
  apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -qq "$@" >>"$INSTALL_LOG" 2>&1; }
  : >"$INSTALL_LOG"
  apt-cache policy gridengine-master 2>/dev/null | grep -q 'Candidate: [0-9]' || apt_get update \
    || { tail -20 "$INSTALL_LOG" >&2; die "apt-get update failed"; }
  # Hard dependencies include an MTA (exim4) and tcsh; without systemd nothing of theirs starts.
  apt_get install --no-install-recommends "${PACKAGES[@]}" \
    || { apt_get update && apt_get install --no-install-recommends "${PACKAGES[@]}"; } \
    || { tail -30 "$INSTALL_LOG" >&2; die "apt-get install failed, see $INSTALL_LOG"; }
fi
t_install=$(since "$t0")
t1=$EPOCHREALTIME
SGE_ARCH=$(/usr/share/gridengine/util/arch 2>/dev/null || echo lx-amd64)
export SGE_ARCH

# The postinst normally creates the cell's spool; create it if an earlier install did not.
if [ ! -s "$COMMON/bootstrap" ] || [ -z "$(ls -A /var/spool/gridengine/spooldb 2>/dev/null)" ]; then
  log "initialising the cluster configuration"
  mkdir -p "$COMMON" "$QMASTER_SPOOL/job_scripts" /var/spool/gridengine/spooldb "$EXECD_SPOOL"
  chown -R sgeadmin:sgeadmin "$SGE_ROOT/$SGE_CELL" /var/spool/gridengine
  [ -s "$COMMON/bootstrap" ] \
    || install -m 644 -o sgeadmin -g sgeadmin /usr/share/gridengine/default-bootstrap "$COMMON/bootstrap"
  su -s /bin/sh -c "/usr/share/gridengine/scripts/init_cluster $SGE_ROOT $SGE_CELL /var/spool/gridengine/spooldb sgeadmin" sgeadmin >&2 \
    || die "init_cluster failed"
fi

# ---- host name aliases ----------------------------------------------------------
# Grid Engine refuses a client whose address resolves to another name than the
# one it calls itself. Here 127.0.0.1 resolves to "localhost" while the host is
# $HOST, so every name of the loopback addresses is declared an alias of $HOST.
aliases=$({
  echo localhost
  awk '$1 ~ /^127\./ || $1 == "::1" { for (i = 2; i <= NF; i++) print $i }' /etc/hosts
  getent hosts "$HOST" | awk '{ for (i = 2; i <= NF; i++) print $i }' || true
} | grep -v -x -F "$HOST" | grep -v '^ip6-' | sort -u | tr '\n' ' ')
if [ "$(cat "$COMMON/host_aliases" 2>/dev/null)" != "$HOST $aliases" ]; then
  log "writing $COMMON/host_aliases"
  echo "$HOST $aliases" >"$COMMON/host_aliases"
fi
chown sgeadmin:sgeadmin "$COMMON/host_aliases"
mkdir -p "$RUNDIR"

# ---- daemons --------------------------------------------------------------------
# pid_in_file NAME PIDFILE...: the pid of a live NAME process named by a pid file.
pid_in_file() {
  local name=$1 file pid
  shift
  for file in "$@"; do
    if [ -s "$file" ] && pid=$(<"$file") && [ -r "/proc/$pid/comm" ] && [ "$(<"/proc/$pid/comm")" = "$name" ]; then
      echo "$pid"; return 0
    fi
  done
  return 1
}
# running NAME PIDFILE...: as pid_in_file, else any NAME process (a copy
# started some other way must not get a twin).
running() {
  local comm pid
  pid_in_file "$@" && return 0
  for comm in /proc/[0-9]*/comm; do
    [ "$(cat "$comm" 2>/dev/null)" = "$1" ] && { pid=${comm#/proc/}; echo "${pid%/comm}"; return 0; }
  done
  return 1
}
# Record a daemon we started so that sge-down.sh stops it and nothing else. The
# pid comes from the daemon's own pid file: the process that was launched forks
# and exits.
record() { echo "$2" >"$RUNDIR/$1.pid"; started+=("$1"); }

if pid=$(running sge_qmaster "$QMASTER_SPOOL/qmaster.pid"); then
  log "sge_qmaster is running (pid $pid)"
else
  log "starting sge_qmaster"
  echo "$HOST" >"$COMMON/act_qmaster"
  chown sgeadmin:sgeadmin "$COMMON/act_qmaster"
  (cd / && /usr/lib/gridengine/sge_qmaster)
  for ((i = 0; i < 300; i++)); do
    pid_in_file sge_qmaster "$QMASTER_SPOOL/qmaster.pid" >/dev/null && qstat >/dev/null 2>&1 && break
    sleep 0.1
  done
  pid=$(pid_in_file sge_qmaster "$QMASTER_SPOOL/qmaster.pid") \
    || { tail -20 "$QMASTER_SPOOL/messages" >&2 || true; die "sge_qmaster did not start, see $QMASTER_SPOOL/messages"; }
  record sge_qmaster "$pid"
fi
qstat >/dev/null || { tail -20 "$QMASTER_SPOOL/messages" >&2 || true; die "qstat cannot reach sge_qmaster"; }

# ---- configuration --------------------------------------------------------------
# qconf -m* edits through $EDITOR: these small editors make the changes, and
# the checks below decide whether a change is needed and whether it took.
# qconf ignores an edit that leaves the file's mtime as it was (same second),
# so each editor moves the mtime forward.
edit=$(mktemp -d)
trap 'rm -rf "$edit"' EXIT
# Global: uid/gid 0 may run jobs (default 1000 and up); accounting flushed at once.
cat >"$edit/global" <<'EOF'
#!/bin/sh
sed -i -e 's/^min_uid .*/min_uid                      0/' -e 's/^min_gid .*/min_gid                      0/' "$1"
awk '/^reporting_params/ { print "reporting_params             accounting=true reporting=false flush_time=00:00:01 joblog=false sharelog=00:00:00 accounting_flush_time=00:00:00"; skip = 1; next }
     skip && /^[ \t]/ { next }
     { skip = 0; print }' "$1" >"$1.new" && cat "$1.new" >"$1" && rm -f "$1.new"
touch -d "@$(( $(date +%s) + 2 ))" "$1"
EOF
# Scheduler: a run every second (default 15 s), no load adjustments that hold back new jobs.
cat >"$edit/scheduler" <<'EOF'
#!/bin/sh
sed -i -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
       -e 's/^flush_submit_sec .*/flush_submit_sec                  1/' \
       -e 's/^flush_finish_sec .*/flush_finish_sec                  1/' \
       -e 's/^job_load_adjustments .*/job_load_adjustments              NONE/' \
       -e 's/^load_adjustment_decay_time .*/load_adjustment_decay_time        0:0:0/' "$1"
touch -d "@$(( $(date +%s) + 2 ))" "$1"
EOF
# Queue: this host, $SLOTS slots, no load threshold (a busy small machine would
# put the queue in alarm state and stop dispatching), bash, and the job script's
# own #! line honoured (unix_behavior).
cat >"$edit/queue" <<EOF
#!/bin/sh
sed -i -e 's/^hostlist .*/hostlist              $HOST/' -e 's/^slots .*/slots                 $SLOTS/' \\
       -e 's/^load_thresholds .*/load_thresholds       NONE/' -e 's#^shell .*#shell                 /bin/bash#' \\
       -e 's/^shell_start_mode .*/shell_start_mode      unix_behavior/' -e 's/^pe_list .*/pe_list               smp/' "\$1"
touch -d "@\$(( \$(date +%s) + 2 ))" "\$1"
EOF
chmod +x "$edit"/*

value() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ +/, ""); print; exit }'; }
global_ok() {
  local conf
  conf=$(qconf -sconf global) || return 1
  [ "$(value min_uid <<<"$conf")" = 0 ] && [ "$(value min_gid <<<"$conf")" = 0 ] \
    && tr -d '\\\n' <<<"$conf" | grep -q 'accounting=true.*accounting_flush_time=00:00:00'
}
scheduler_ok() { [ "$(qconf -ssconf | value schedule_interval)" = 0:0:1 ]; }
queue_ok() {
  local conf
  conf=$(qconf -sq "$QUEUE" 2>/dev/null) || return 1
  [ "$(value slots <<<"$conf")" = "$SLOTS" ] && [ "$(value hostlist <<<"$conf")" = "$HOST" ] \
    && [ "$(value pe_list <<<"$conf")" = smp ] && [ "$(value load_thresholds <<<"$conf")" = NONE ] \
    && [ "$(value shell_start_mode <<<"$conf")" = unix_behavior ]
}

# Only what is not yet as needed is changed, so a rerun leaves a running cluster untouched.
global_ok || { log "setting the global configuration"; EDITOR=$edit/global qconf -mconf global >/dev/null 2>&1; global_ok; } \
  || die "global configuration: min_uid/min_gid 0 and immediate accounting did not take"
scheduler_ok || { log "setting the scheduler configuration"; EDITOR=$edit/scheduler qconf -msconf >/dev/null 2>&1; scheduler_ok; } \
  || die "scheduler configuration: schedule_interval 0:0:1 did not take"
qconf -sh 2>/dev/null | grep -qx "$HOST" || qconf -ah "$HOST" >/dev/null || die "cannot make $HOST an admin host"
qconf -ss 2>/dev/null | grep -qx "$HOST" || qconf -as "$HOST" >/dev/null || die "cannot make $HOST a submit host"
if ! qconf -sp smp >/dev/null 2>&1; then
  printf '%s\n' 'pe_name smp' 'slots 999' 'user_lists NONE' 'xuser_lists NONE' 'start_proc_args NONE' \
    'stop_proc_args NONE' 'allocation_rule $pe_slots' 'control_slaves FALSE' 'job_is_first_task TRUE' \
    'urgency_slots min' 'accounting_summary FALSE' 'qsort_args NONE' >"$edit/smp"
  qconf -Ap "$edit/smp" >/dev/null || die "cannot add the parallel environment smp"
fi
if ! queue_ok; then
  log "setting up the queue $QUEUE"
  if qconf -sq "$QUEUE" >/dev/null 2>&1; then
    EDITOR=$edit/queue qconf -mq "$QUEUE" >/dev/null 2>&1 || true
  else
    EDITOR=$edit/queue qconf -aq "$QUEUE" >/dev/null 2>&1 || true
  fi
  queue_ok || die "queue $QUEUE: hostlist/slots/pe_list/load_thresholds/shell_start_mode did not take"
fi

# execd registers with the qmaster, so it starts after the host is an execution host.
if pid=$(running sge_execd "$EXECD_SPOOL"/*/execd.pid); then
  log "sge_execd is running (pid $pid)"
else
  log "starting sge_execd"
  (cd / && /usr/lib/gridengine/sge_execd)
  for ((i = 0; i < 100; i++)); do pid_in_file sge_execd "$EXECD_SPOOL"/*/execd.pid >/dev/null && break; sleep 0.1; done
  pid=$(pid_in_file sge_execd "$EXECD_SPOOL"/*/execd.pid) || die "sge_execd did not start, see $EXECD_SPOOL/*/messages"
  record sge_execd "$pid"
fi

# ---- wait until the queue instance takes jobs -----------------------------------
# Usable: load reported (not -NA-) and none of the states u(nknown), E(rror),
# d(isabled), a(larm). An error or disabled state left from earlier is cleared.
instance="$QUEUE@$HOST"
usable() {
  local line states
  line=$(qstat -f -q "$instance" 2>/dev/null | awk -v q="$instance" '$1 == q')
  [ -n "$line" ] && [[ "$line" != *-NA-* ]] || return 1
  states=$(awk '{ print $6 }' <<<"$line")
  case "$states" in *E*) qmod -c "$instance" >/dev/null 2>&1 || true ;; esac
  case "$states" in *d*) qmod -e "$instance" >/dev/null 2>&1 || true ;; esac
  ! [[ "$states" =~ [uEda] ]]
}
for ((i = 0; i < 900; i++)); do usable && break; sleep 0.1; done
usable || { qstat -f >&2 || true; die "queue instance $instance is not usable after 90 s, see $EXECD_SPOOL/*/messages"; }

cat >"$RUNDIR/env.sh.new" <<EOF
export SGE_ROOT=$SGE_ROOT SGE_CELL=$SGE_CELL SGE_ARCH=$SGE_ARCH
export PATH=/usr/lib/gridengine:\$PATH
EOF
mv -f "$RUNDIR/env.sh.new" "$RUNDIR/env.sh"

printf 'SGE READY: host=%s queue=%s slots=%s started=%s env=%s (packages %ss, start %ss)\n' \
  "$HOST" "$QUEUE" "$SLOTS" "$(IFS=,; echo "${started[*]:-none}")" "$RUNDIR/env.sh" "$t_install" "$(since "$t1")"
