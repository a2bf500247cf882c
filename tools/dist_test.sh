#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py args...]
# Several nodes: NNODES, NODE_RANK, MASTER_ADDR, PORT as with torchrun.
# Without a GPU the processes run on the CPU over gloo.
exec bash "$(dirname "$0")/dist_run.sh" tools/test.py "$3" "$1" "$2" \
    --launcher pytorch "${@:4}"
