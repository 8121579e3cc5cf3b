#!/usr/bin/env bash
# Runs one simulated batch job. launcher.sh starts it in its own session
# (setsid) with the job folder as $1. It waits for the start
# delay and a free slot, runs the job in its own process group, enforces run
# limits, hold/vanish faults and kill requests, and records every state
# change as a small file in the job folder (see README.md, "State folder").
# It is bash, not Node, because hundreds of jobs may be in flight at once:
# the waiting loops below use builtins only, so an idle runner costs nothing.
#
# Kill requests arrive as a marker file (removed, held) plus SIGUSR1, which
# interrupts `wait`; timers are tiny subshells that send SIGUSR1 when due.

JOBDIR=$1
# shellcheck source=/dev/null
source "$JOBDIR/run.vars" || exit 1
mapfile -d '' -t ARGS < "$JOBDIR/argv"
mapfile -d '' -t JOBENV < "$JOBDIR/env"
# Record the pid first, then check for a cleanup in progress: either cleanup
# sees this pid or this runner sees .shutdown.
printf '%s' "$$" > "$JOBDIR/runner.pid"
[[ -e $STATE_DIR/.shutdown ]] && exit 0

SFD=
poked=0
trap 'poked=1' USR1
timers=()
SLOT=
GSLOT=
MSLOT=
ISLOT=
CHILD=
START_MS=0

now_ms() { local t=$EPOCHREALTIME; REPLY=$(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }
secs() { printf -v REPLY '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )); }
# A pipe nobody writes to, opened on first use: `read -t N -u $SFD` sleeps without forking.
sleep_fd() { [[ -n $SFD ]] || exec {SFD}<> <(:); }
nap_ms() { sleep_fd; secs "$1"; read -r -t "$REPLY" -u "$SFD"; }

# Write a marker with one write() (printf is buffered), so readers see all of
# it or an empty file, which they treat as not written yet. No fork needed.
put() { printf '%s' "$2" > "$JOBDIR/$1"; }

# Append one event to the HTCondor job event log: "NNN (C.P.S) time text" ... "...".
# In one write(), which cat makes: bash writes its own output line by line, so
# jobs sharing a log (log = shared.log) would tear each other's events.
event() {
  [[ $SYS == condor && -n $ULOG ]] || return 0
  local t
  printf -v t "%($DATEFMT)T" -1
  cat <<<"$1 ($EVID) $t $2
..." >> "$ULOG"
}

schedule() { sleep_fd; secs "$1"; ( read -r -t "$REPLY" -u "$SFD"; kill -USR1 $$ ) & timers+=("$!"); }

release_slot() {
  local f
  for f in "$SLOT" "$GSLOT" "$MSLOT" "$ISLOT"; do [[ -n $f ]] && rm -f -- "$f"; done
  SLOT= GSLOT= MSLOT= ISLOT=
}

leave() { ((${#timers[@]})) && kill "${timers[@]}" 2>/dev/null; release_slot; exit 0; }

# A job removed or held before it started just stops here; whoever set the
# marker already wrote the event.
pending_ok() { [[ -d $JOBDIR && ! -e $JOBDIR/removed && ! -e $JOBDIR/held ]]; }

# Put the job on hold (HTCondor) or suspend it (LSF PSUSP/USUSP).
hold() { # code subcode reason
  now_ms
  put held "$REPLY $1 $2"$'\n'"$3"
  event 012 "Job was held."$'\n\t'"$3"$'\n\t'"Code $1 Subcode $2"
}

# Remove the job with a reason (HTCondor RemoveReason, LSF exit reason keyword),
# unless condor_rm/bkill got there first (noclobber creates with O_EXCL).
remove() { # reason
  now_ms
  set -C
  { printf '%s' "$REPLY"$'\n'"$1" > "$JOBDIR/removed"; } 2>/dev/null || { set +C; return 0; }
  set +C
  event 009 "Job was aborted."$'\n\t'"$1"
}

vanish() {
  [[ -n $CHILD ]] && kill -KILL -- "-$CHILD" 2>/dev/null
  ((${#timers[@]})) && kill "${timers[@]}" 2>/dev/null
  release_slot
  rm -rf -- "$JOBDIR" ${SCRATCH:+"$SCRATCH"}
  exit 0
}

# --- gates: a free slot among LIMIT files in a folder --------------------------
# Slot files are created with O_EXCL via noclobber. A glance at the folder's
# size first keeps a thousand waiting runners from probing every slot file.
acquire() { # dir limit -> REPLY = the slot file
  local dir=$1 limit=$2 f holder st i taken
  mkdir -p -- "$dir"
  queue_at_gate "$dir.gate"
  while :; do
    pending_ok || { drop_gate; leave; }
    taken=("$dir"/*)
    if (( ${#taken[@]} < limit )) || [[ ! -e ${taken[0]} ]]; then
      for (( i = 0; i < limit; i++ )); do
        f="$dir/$i"
        set -C
        if { printf '%s' "$$" > "$f"; } 2>/dev/null; then set +C; REPLY=$f; drop_gate; return 0; fi
        set +C
      done
    fi
    # A runner killed from outside leaves its slot behind (it may linger as a zombie): reclaim it.
    for f in "${taken[@]}"; do
      holder=; read -r holder < "$f" 2>/dev/null
      st=; [[ -n $holder ]] && { read -r _ _ st _ < "/proc/$holder/stat"; } 2>/dev/null
      if [[ -n $holder ]] && { ! kill -0 "$holder" 2>/dev/null || [[ $st == Z ]]; }; then rm -f -- "$f"; fi
    done
    nap_ms $(( 150 + RANDOM % 150 ))
  done
}

# Waiters queue on a lock file (flock) and only the one holding it probes the
# slots: a thousand jobs waiting for 8 slots then sleep in the kernel instead
# of each waking every few hundred milliseconds. The lock is taken by a flock
# child on an inherited descriptor, so it stays with this runner after the
# child exits; `wait` on that child returns early when a kill request pokes
# this runner (SIGUSR1), which lets a removed job leave the queue at once.
GATE_FD=
queue_at_gate() { # lock file
  local waiter
  exec {GATE_FD}>>"$1"
  flock "$GATE_FD" &
  waiter=$!
  while kill -0 "$waiter" 2>/dev/null; do
    wait "$waiter" && break
    pending_ok || { kill "$waiter" 2>/dev/null; drop_gate; leave; }
  done
}
drop_gate() { [[ -n $GATE_FD ]] && { exec {GATE_FD}>&-; GATE_FD=; }; return 0; }

# HTCondor late materialization (max_materialize, max_idle): the proc enters
# the queue only when its cluster has room; until then no tool sees it.
# Procs materialize in order: each waits for the one before it.
if [[ -n $PREV_JOBDIR ]] && (( MAT_LIMIT > 0 || IDLE_LIMIT > 0 )); then
  while [[ -d $PREV_JOBDIR && ! -e $PREV_JOBDIR/materialized && ! -e $PREV_JOBDIR/removed ]]; do
    pending_ok || leave
    nap_ms $(( 50 + RANDOM % 50 ))
  done
fi
if (( MAT_LIMIT > 0 )); then acquire "$MAT_DIR" "$MAT_LIMIT"; MSLOT=$REPLY; fi
if (( IDLE_LIMIT > 0 )); then acquire "$IDLE_DIR" "$IDLE_LIMIT"; ISLOT=$REPLY; fi
if (( MAT_LIMIT > 0 || IDLE_LIMIT > 0 )); then
  event 000 "Job submitted from host: $SCHEDD_ADDR"
  put materialized "1"
fi

# --- wait for the start delay -------------------------------------------------
if (( START_DELAY_MS > 0 )); then
  now_ms; until_ms=$(( REPLY + START_DELAY_MS ))
  while now_ms; (( REPLY < until_ms )); do
    pending_ok || leave
    left=$(( until_ms - REPLY )); (( left > 200 )) && left=200
    nap_ms "$left"
  done
fi

# --- LSF job array slot limit (bsub -J "name[1-N]%K") -------------------------
if (( GROUP_LIMIT > 0 )); then acquire "$GROUP_DIR" "$GROUP_LIMIT"; GSLOT=$REPLY; fi

# --- wait for a free slot on the simulated farm --------------------------------
if (( MAX_RUNNING > 0 )); then acquire "$SLOTS_DIR" "$MAX_RUNNING"; SLOT=$REPLY; fi
pending_ok || leave

# --- fault: held instead of running ---------------------------------------------
if (( HOLD_AFTER_MS == 0 )); then hold "$HOLD_CODE" "$HOLD_SUBCODE" "$HOLD_REASON"; leave; fi

# --- HTCondor file transfer into the scratch folder ---------------------------
if (( TRANSFER )); then
  for f in "${TRANSFER_IN[@]}"; do
    if [[ ! -e $f ]]; then
      hold 13 2 "Transfer input files failure at access point $HOST while sending files to the execution point. Details: reading from file $f: (errno 2) No such file or directory"
      leave
    fi
    cp -pR -- "$f" "$SCRATCH/"
  done
fi

# --- run the job in its own process group -------------------------------------
[[ -n $ISLOT ]] && { rm -f -- "$ISLOT"; ISLOT=; }
now_ms; START_MS=$REPLY
event 001 "Job executing on host: $EXEC_HOST"
put started "$START_MS"
launch_error() { printf '%s\n%s' "$1" "$2" > "$JOBDIR/launch-error"; exit 127; }
set -m
(
  trap - USR1
  [[ -n $SFD ]] && exec {SFD}>&-
  cd -- "$CWD" 2>/dev/null || launch_error "6 2" "Error from slot1@$HOST: Failed to change to working directory $CWD: No such file or directory (errno 2)"
  # Probe each file on a spare descriptor first: a failed `exec 2>file` cannot be caught cleanly.
  { : < "$STDIN_PATH"; } 2>/dev/null ||
    launch_error "6 2" "Error from slot1@$HOST: Failed to open '$STDIN_PATH' as standard input: No such file or directory (errno 2)"
  { : >> "$STDOUT_PATH"; } 2>/dev/null ||
    launch_error "6 2" "Error from slot1@$HOST: Failed to open '$STDOUT_PATH' as standard output: No such file or directory (errno 2)"
  if [[ -n $STDERR_PATH ]]; then
    { : >> "$STDERR_PATH"; } 2>/dev/null ||
      launch_error "6 2" "Error from slot1@$HOST: Failed to open '$STDERR_PATH' as standard error: No such file or directory (errno 2)"
  fi
  exec < "$STDIN_PATH"
  if [[ $STDOUT_MODE == append ]]; then exec >> "$STDOUT_PATH"; else exec >| "$STDOUT_PATH"; fi
  if [[ -z $STDERR_PATH ]]; then exec 2>&1
  elif [[ $STDERR_MODE == append ]]; then exec 2>> "$STDERR_PATH"
  else exec 2>| "$STDERR_PATH"
  fi
  [[ -f $EXE && -x $EXE ]] || launch_error "6 13" "Error from slot1@$HOST: Failed to execute '$EXE': (errno=13: 'Permission denied')"
  # The job gets exactly JOBENV: drop the runner's own environment first.
  unset PATH LC_ALL TZ PWD OLDPWD SHLVL _
  ((${#JOBENV[@]})) && export "${JOBENV[@]}"
  exec "$EXE" "${ARGS[@]}"
) &
CHILD=$!
set +m
put job.pid "$CHILD"

KILL_STEP=-1
KILL_SIGS=()
walltime_done=0
hold_done=0
memlimit_done=0

# Resident memory of the job's process group, in KB (LSF's -M counts the whole job).
group_rss_kb() {
  local total=0 stat rest fields rss
  for stat in /proc/[0-9]*/stat; do
    { IFS= read -r rest < "$stat"; } 2>/dev/null || continue
    read -ra fields <<< "${rest##*) }"
    # After the command: state ppid pgrp ... rss is field 24 (index 21), in pages.
    [[ ${fields[2]} == "$CHILD" ]] || continue
    rss=${fields[21]}
    total=$(( total + rss * PAGE_KB ))
  done
  REPLY=$total
}
PAGE_KB=4

start_kill() { # signals...
  KILL_SIGS=("$@"); KILL_STEP=0; kill_step
}
kill_step() {
  kill -s "${KILL_SIGS[KILL_STEP]}" -- "-$CHILD" 2>/dev/null
  [[ $SYS == lsf ]] && kill -CONT -- "-$CHILD" 2>/dev/null
  (( ++KILL_STEP < ${#KILL_SIGS[@]} )) && { now_ms; NEXT_KILL_MS=$(( REPLY + KILL_INTERVAL_MS )); schedule "$KILL_INTERVAL_MS"; }
}

# React to timers and to markers set by condor_rm / bkill.
control() {
  now_ms; local now=$REPLY
  if (( VANISH_AFTER_MS >= 0 && now >= START_MS + VANISH_AFTER_MS )); then vanish; fi
  if (( !walltime_done && WALLTIME_MS > 0 && now >= START_MS + WALLTIME_MS )) && [[ ! -e $JOBDIR/removed ]]; then
    walltime_done=1
    case $WALLTIME_ACTION in
      hold) hold 46 0 "$WALLTIME_REASON" ;;
      *) remove "$WALLTIME_REASON" ;;
    esac
  fi
  if (( !memlimit_done && MEM_LIMIT_KB > 0 )) && [[ ! -e $JOBDIR/removed ]]; then
    group_rss_kb
    if (( REPLY > MEM_LIMIT_KB )); then memlimit_done=1; remove TERM_MEMLIMIT; else schedule "$MEM_CHECK_MS"; fi
  fi
  if (( !hold_done && HOLD_AFTER_MS > 0 && now >= START_MS + HOLD_AFTER_MS )) && [[ ! -e $JOBDIR/removed ]]; then
    hold_done=1
    hold "$HOLD_CODE" "$HOLD_SUBCODE" "$HOLD_REASON"
    [[ $SYS == lsf ]] && kill -STOP -- "-$CHILD" 2>/dev/null
  fi
  if (( KILL_STEP < 0 )); then
    if [[ -e $JOBDIR/removed ]]; then
      local reason=; { read -r _; read -r reason; } < "$JOBDIR/removed"
      if [[ $SYS == lsf && $reason == TERM_RUNLIMIT ]]; then start_kill USR2 "${KILL_SIGS_REMOVE[@]}"
      else start_kill "${KILL_SIGS_REMOVE[@]}"; fi
    elif [[ -e $JOBDIR/held && $SYS == condor ]]; then
      start_kill KILL   # HTCondor hard-kills a job that is put on hold
    fi
  elif (( now >= NEXT_KILL_MS )); then
    kill_step
  fi
}

(( WALLTIME_MS > 0 )) && schedule "$WALLTIME_MS"
(( HOLD_AFTER_MS > 0 )) && schedule "$HOLD_AFTER_MS"
(( VANISH_AFTER_MS >= 0 )) && schedule "$VANISH_AFTER_MS"
control   # a removal that raced with the launch

# `wait` returns early when SIGUSR1 arrives; a second `wait` fetches the real
# status when the child exited meanwhile (127 means it was already collected).
while :; do
  wait "$CHILD"; RC=$?
  if (( poked )); then
    poked=0
    control
    if kill -0 "$CHILD" 2>/dev/null; then continue; fi
    wait "$CHILD" 2>/dev/null; r=$?
    (( r != 127 )) && RC=$r
  fi
  break
done
((${#timers[@]})) && kill "${timers[@]}" 2>/dev/null
timers=()
now_ms; END_MS=$REPLY

if [[ -e $JOBDIR/launch-error ]]; then
  { read -r code sub; IFS= read -r -d '' why; } < "$JOBDIR/launch-error"
  if [[ $SYS == condor ]]; then hold "$code" "$sub" "$why"; leave; fi
fi

if [[ $SYS == condor && ! -e $JOBDIR/removed && ! -e $JOBDIR/held ]]; then
  # HTCondor transfers new top-level files back to the submit folder on exit.
  if (( TRANSFER )); then
    shopt -s nullglob dotglob
    if ((${#TRANSFER_OUT[@]})); then outs=("${TRANSFER_OUT[@]/#/$SCRATCH/}"); else outs=("$SCRATCH"/*); fi
    for f in "${outs[@]}"; do
      b=${f##*/}
      [[ -f $f ]] || continue
      for g in "${TRANSFER_IN[@]}"; do [[ ${g##*/} == "$b" ]] && continue 2; done
      cp -p -- "$f" "$IWD/$b"
    done
  fi
  usage=$'\t\tUsr 0 00:00:00, Sys 0 00:00:00'
  if (( RC > 128 )); then
    how="(0) Abnormal termination (signal $(( RC - 128 )))"$'\n\t(0) No core file'
  else
    how="(1) Normal termination (return value $RC)"
  fi
  printf -v resources '\t   %-20s : %8s %8s %9s\n' Cpus '' "$REQUEST_CPUS" "$REQUEST_CPUS" \
    'Disk (KB)' 0 "$REQUEST_DISK" "$REQUEST_DISK" 'Memory (MB)' 0 "$REQUEST_MEMORY" "$REQUEST_MEMORY"
  event 005 "Job terminated."$'\n\t'"$how"$'\n'"$usage  -  Run Remote Usage"$'\n'"$usage  -  Run Local Usage"$'\n'"$usage  -  Total Remote Usage"$'\n'"$usage  -  Total Local Usage"$'\n\t0  -  Run Bytes Sent By Job\n\t0  -  Run Bytes Received By Job\n\t0  -  Total Bytes Sent By Job\n\t0  -  Total Bytes Received By Job\n\tPartitionable Resources :    Usage  Request Allocated\n'"${resources%$'\n'}"
fi

# LSF appends its job report to the -o file (LSB_STDOUT_DIRECT style).
if [[ $SYS == lsf && $REPORT == 1 && -n $STDOUT_PATH && $STDOUT_PATH != /dev/null ]]; then
  reason=
  [[ -e $JOBDIR/removed ]] && { read -r _; read -r reason; } < "$JOBDIR/removed"
  case $reason in
    TERM_RUNLIMIT) why=$'TERM_RUNLIMIT: job killed after reaching LSF run time limit.\n' ;;
    TERM_OWNER) why=$'TERM_OWNER: job killed by owner.\n' ;;
    *) why= ;;
  esac
  if (( RC == 0 )) && [[ -z $why ]]; then done_word=Done; status='Successfully completed.'
  else done_word=Exited; status="Exited with exit code $RC."; fi
  printf -v t_sub '%(%a %b %e %H:%M:%S %Y)T' $(( SUB_MS / 1000 ))
  printf -v t_start '%(%a %b %e %H:%M:%S %Y)T' $(( START_MS / 1000 ))
  printf -v t_end '%(%a %b %e %H:%M:%S %Y)T' $(( END_MS / 1000 ))
  run_s=$(( (END_MS - START_MS) / 1000 )); turn_s=$(( (END_MS - SUB_MS) / 1000 ))
  {
    printf '\n------------------------------------------------------------\n'
    printf 'Sender: LSF System <lsfadmin@%s>\n' "$HOST"
    printf 'Subject: Job %s: <%s> in cluster <%s> %s\n\n' "$LSF_JOBID" "$JOB_NAME" "$CLUSTER" "$done_word"
    printf 'Job <%s> was submitted from host <%s> by user <%s> in cluster <%s> at %s\n' "$JOB_NAME" "$HOST" "$USER_NAME" "$CLUSTER" "$t_sub"
    printf 'Job was executed on host(s) <%s>, in queue <%s>, as user <%s> in cluster <%s> at %s\n' "$HOST" "$QUEUE" "$USER_NAME" "$CLUSTER" "$t_start"
    printf '<%s> was used as the home directory.\n<%s> was used as the working directory.\n' "$HOME_DIR" "$CWD"
    printf 'Started at %s\nTerminated at %s\nResults reported at %s\n\n' "$t_start" "$t_end" "$t_end"
    printf 'Your job looked like:\n\n------------------------------------------------------------\n# LSBATCH: User input\n%s\n------------------------------------------------------------\n\n' "$COMMAND_TEXT"
    printf '%s%s\n\nResource usage summary:\n\n' "$why" "$status"
    printf '    %-45s%s\n' 'CPU time :' '0.00 sec.' 'Max Memory :' '-' 'Average Memory :' '-' 'Total Requested Memory :' '-' \
      'Delta Memory :' '-' 'Max Swap :' '-' 'Max Processes :' '-' 'Max Threads :' '-' 'Run time :' "$run_s sec." 'Turnaround time :' "$turn_s sec."
    printf '\nThe output (if any) is above this job summary.\n\n'
    [[ -n $STDERR_PATH ]] && printf '\n\nPS:\n\nRead file <%s> for stderr output of this job.\n\n' "$STDERR_PATH"
  } >> "$STDOUT_PATH" 2>/dev/null
fi

put exit "$RC $END_MS"
leave
