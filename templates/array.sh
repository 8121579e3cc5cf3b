#!/bin/bash
# b2 array script: every element of one array job runs this, and runs the
# tasks its index names below, each through the task's own job wrapper with
# the task's own log files. Each wrapper records its task's exit status,
# which decides, not this script's. Rendered by src/wrapper/array.ts; every
# inserted value is already shell-quoted. Submitted from this folder with:
# {{command}}
_b2_index={{index}}
_b2_in_parallel={{tasks_in_parallel}}
_b2_failed=0

# wrapper, stdout file, stderr file
_b2_run_task() {
  "$1" {{redirect}}"$2" 2{{redirect}}"$3"
}

case "$_b2_index" in
{{elements}}
*)
  echo "b2: this array has no element ${_b2_index:-(no index)}" >&2
  exit 1
  ;;
esac

_b2_running=0
while [ "$#" -ge 3 ]; do
  if [ "$_b2_in_parallel" -le 1 ]; then
    _b2_run_task "$1" "$2" "$3" || _b2_failed=1
  else
    _b2_run_task "$1" "$2" "$3" &
    _b2_running=$((_b2_running + 1))
    if [ "$_b2_running" -ge "$_b2_in_parallel" ]; then
      wait -n || _b2_failed=1
      _b2_running=$((_b2_running - 1))
    fi
  fi
  shift 3
done
while [ "$_b2_running" -gt 0 ]; do
  wait -n || _b2_failed=1
  _b2_running=$((_b2_running - 1))
done
exit "$_b2_failed"
