#!/bin/bash
# b2 batch script for Grid Engine, rendered by src/systems/sge.ts. Its options
# are on qsub's command line, with -C '' so that qsub reads no option line
# here (such a line ends at '#'). Submitted from this folder with:
# {{command}}
# Grid Engine expands $VAR in the paths it opens: its own streams go to
# /dev/null, and the task's log files, quoted for bash, are opened here.
exec >>{{stdout}} 2>>{{stderr}}
# The job runs the b2 job wrapper, whose exit-status file decides success.
exec {{wrapper}}
