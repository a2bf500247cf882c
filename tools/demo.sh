#!/usr/bin/env bash
# Build (or reuse) .venv and run the CPU demo on MSRC-VOC: the README's main
# command. Extra arguments go to tools/run_demo.py. The data: data/msrc_voc
# (the configs' data_root), which run_demo.py links to
# ../shared/data/msrc_voc when only that exists.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "${ROOT}/tools/setup_env.sh"
cd "${ROOT}"
exec "${ROOT}/.venv/bin/python" tools/run_demo.py "$@"
