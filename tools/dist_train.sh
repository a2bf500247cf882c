#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# Several nodes: NNODES, NODE_RANK, MASTER_ADDR, PORT as with torchrun.
# Without a GPU the processes train on the CPU over gloo.
exec bash "$(dirname "$0")/dist_run.sh" tools/train.py "$2" "$1" \
    --launcher pytorch "${@:3}"
