#!/usr/bin/env bash
# Starts one runner per job folder listed in $1 (one per line), each in its
# own session (setsid) so a job and everything it starts can be found and
# killed later. condor_submit/bsub start this in the background and return at
# once, as the real commands do; jobs stay idle/PEND until their runner runs.
# $2 is the state folder: a .shutdown file there (set by cleanup) stops it.
LIST=$1
STATE=$2
RUNNER=${0%/*}/runner.sh
while IFS= read -r dir; do
  [[ -e $STATE/.shutdown ]] && break
  [[ -n $dir ]] && setsid bash "$RUNNER" "$dir" < /dev/null >> "$dir/runner.log" 2>&1 &
done < "$LIST"
rm -f -- "$LIST" "$STATE/launchers/$$"
