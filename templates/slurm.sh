#!/bin/bash
# b2 batch script for Slurm, rendered by src/batch/slurm.ts and submitted
# with `sbatch --parsable`. sbatch reads the #SBATCH lines below; the job then
# runs the b2 job wrapper, whose exit-status file decides success.
{{directives}}
exec {{wrapper}}
