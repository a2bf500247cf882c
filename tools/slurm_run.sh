#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] \
#   bash tools/slurm_run.sh SCRIPT PARTITION JOB_NAME [SCRIPT args...]
# Runs SCRIPT (a path in the repository, e.g. tools/train.py) as GPUS srun
# tasks (default 4, GPUS_PER_NODE a node): the launcher of slurm_train.sh
# and slurm_test.sh. PYTHON names the interpreter (default: python).
set -x
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
GPUS_PER_NODE=${GPUS_PER_NODE:-4}

PYTHONPATH="${ROOT}:${PYTHONPATH}" \
srun -p "$2" \
    --job-name="$3" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS:-4}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK:-5}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "${PYTHON:-python}" -u "${ROOT}/$1" "${@:4}"
