#!/bin/bash
# b2 batch script for Grid Engine, rendered by src/batch/sge.ts and submitted
# with `qsub -terse`. qsub reads the option lines below; the job then runs the
# b2 job wrapper, whose exit-status file decides success.
{{directives}}
exec {{wrapper}}
