#!/usr/bin/env bash
# Usage: bash tools/dist_run.sh SCRIPT NUM_PROCS [SCRIPT args...]
# Runs SCRIPT (a path in the repository, e.g. tools/train.py) in NUM_PROCS
# processes per node with torchrun: the launcher of dist_train.sh and
# dist_test.sh. Several nodes: NNODES, NODE_RANK, MASTER_ADDR, PORT as with
# torchrun; PYTHON names the interpreter.
set -e
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

PYTHONPATH="${ROOT}:${PYTHONPATH}" \
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$2" \
    --master_port="${PORT:-29500}" \
    "${ROOT}/$1" "${@:3}"
