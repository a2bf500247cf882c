#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# Several nodes: NNODES, NODE_RANK, MASTER_ADDR, PORT as with torchrun.
# Without a GPU the processes train on the CPU over gloo.
set -e
CONFIG=$1
NPROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON=${PYTHON:-python}

PYTHONPATH="${ROOT}:${PYTHONPATH}" \
"${PYTHON}" -m torch.distributed.run \
    --nnodes="${NNODES}" \
    --node_rank="${NODE_RANK}" \
    --master_addr="${MASTER_ADDR}" \
    --nproc_per_node="${NPROCS}" \
    --master_port="${PORT}" \
    "${ROOT}/tools/train.py" \
    "${CONFIG}" \
    --launcher pytorch "${@:3}"
