#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5] \
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
exec bash "$(dirname "$0")/slurm_run.sh" tools/test.py "$1" "$2" "$3" "$4" \
    --launcher slurm "${@:5}"
