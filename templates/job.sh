{{shebang}}
# b2 job wrapper: runs one task inside a batch job. Rendered by
# src/wrapper/wrapper.ts; every inserted value is already shell-quoted.
#
# The exit-status file written on EXIT, not the batch system's verdict, decides
# whether the task succeeded. A wrapper killed with SIGKILL writes no exit
# status (no trap can run), so then only the queue knows how the job ended.

_b2_task_id={{task_id}}
_b2_working_dir={{working_dir}}
_b2_env_script={{env_script}}
_b2_status_file={{exit_status_file}}
_b2_command_line={{command_line}}
_b2_child=
_b2_interrupted=
_b2_status=

# Write a whole file or nothing: the runner polls these files while jobs run.
# `command -p` finds mv/rm even if the env script changed PATH.
_b2_write() {
  local tmp="$1.$$.tmp"
  printf '%s\n' "$2" >"$tmp" && command -p mv -f -- "$tmp" "$1"
}

_b2_on_exit() {
  local status=$? now
  if [ -n "$_b2_status" ]; then
    status=$_b2_status
  elif [ "$status" = 0 ]; then
    # e.g. `exit 0` in the env script, or a signal bash does not trap here:
    # never report success for a command that did not finish.
    status=1
    echo "b2: the job wrapper ended before the command finished" >&2
  fi
  _b2_write "$_b2_status_file" "$status" || echo "b2: cannot write the exit status file $_b2_status_file" >&2
  printf -v now '%(%Y-%m-%dT%H:%M:%S%z)T' -1
  printf 'b2: finished %s with exit status %s\n' "$now" "$status"
  # Grid Engine requeues a job that exits 99 and parks one that exits 100 in
  # an error state; the recorded status above keeps the task's own value.
  case $status in 99 | 100) exit 1 ;; esac
  exit "$status"
}

# While the command runs, pass signals on to it and let it decide how to end
# (its status is recorded). Before it starts, a signal ends the job as 128+n.
_b2_on_signal() {
  if [ -n "$_b2_child" ]; then
    _b2_interrupted=1
    kill -s "$1" "$_b2_child" 2>/dev/null
  else
    _b2_status=$((128 + $(kill -l "$1")))
    exit "$_b2_status"
  fi
}

_b2_set_traps() {
  local signal
  for signal in HUP INT QUIT TERM USR1 USR2 XCPU; do
    trap "_b2_on_signal $signal" "$signal"
  done
  trap _b2_on_exit EXIT
}
_b2_set_traps

command -p rm -f -- "$_b2_status_file"
printf -v _b2_started '%(%Y-%m-%dT%H:%M:%S%z)T' -1

printf 'b2: task %s\n' "$_b2_task_id"
printf 'b2: host %s, pid %s, started %s\n' "$HOSTNAME" "$$" "$_b2_started"

# Empty: stay where the batch system started the job (HTCondor's sandbox).
if [ -n "$_b2_working_dir" ]; then
  cd -- "$_b2_working_dir" || {
    _b2_status=$?
    printf 'b2: cannot change to the working directory %s\n' "$_b2_working_dir" >&2
    exit "$_b2_status"
  }
fi
printf 'b2: working directory %s\n' "$PWD"

if [ -n "$_b2_env_script" ]; then
  printf 'b2: sourcing the env script %s\n' "$_b2_env_script"
  source "$_b2_env_script" || {
    _b2_status=$?
    printf 'b2: the env script %s failed with status %s\n' "$_b2_env_script" "$_b2_status" >&2
    exit "$_b2_status"
  }
  # The env script may have set its own traps or `set -e`; the bookkeeping
  # below needs ours and must not stop half-way.
  set +e
  _b2_set_traps
fi

{{exports}}

printf 'b2: running %s\n' "$_b2_command_line"
# In the background so that `wait` returns on a signal and the trap can pass
# it on. Bash gives background commands stdin from /dev/null and may ignore
# SIGINT and SIGQUIT in them; the redirect and `trap -` undo that, so the
# command starts as it would in the foreground.
( trap - INT QUIT; exec -- {{command}} ) <&0 &
_b2_child=$!
# A trapped signal ends `wait` early (128+n) while the command may still run:
# then wait again. Otherwise that wait took the command's status, and bash
# gives it only once: asked again, it answers -1, or in POSIX mode (an
# inherited POSIXLY_CORRECT) fails with 127 "not a child of this shell".
while :; do
  _b2_interrupted=
  wait "$_b2_child"
  _b2_waited=$?
  [ -n "$_b2_interrupted" ] || break
  _b2_status=$_b2_waited
done
# -1: a signal came just after the command ended, so its status was the last one read.
if [ "$_b2_waited" -ge 0 ] || [ -z "$_b2_status" ]; then _b2_status=$_b2_waited; fi
exit "$_b2_status"
