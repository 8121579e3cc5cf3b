#!/bin/bash
# b2 batch script for Slurm, rendered by src/systems/slurm.ts. Its options are
# on sbatch's command line, never in #SBATCH lines (sbatch's own reader of
# those would take a quote or a backslash in a value for syntax). Submitted
# from this folder with:
# {{command}}
# The job runs the b2 job wrapper, whose exit-status file decides success.
{{logs}}
exec {{wrapper}}
