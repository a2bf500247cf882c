#!/usr/bin/env bash
# Build (or reuse) .venv and run the test suite: the README's test command.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "${ROOT}/tools/setup_env.sh"
cd "${ROOT}"
exec "${ROOT}/.venv/bin/python" -m pytest tests -q -p no:cacheprovider "$@"
