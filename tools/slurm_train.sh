#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5] \
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args...]
exec bash "$(dirname "$0")/slurm_run.sh" tools/train.py "$1" "$2" "$3" \
    --launcher slurm "${@:4}"
