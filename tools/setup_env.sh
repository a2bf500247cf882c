#!/usr/bin/env bash
# Build (once) and reuse the project's virtual environment in .venv/.
#
# Idempotent: when .venv already matches requirements.txt and this script, it
# returns within a second. The slow part, mmcv 2.1.0 with its compiled ops
# (about 17 minutes on 2 cores), is built from source once and the wheel is
# cached in ${RPNET_CACHE:-~/.cache/rpnet_mmseg}; pydensecrf2's wheel too.
#
# Usage: bash tools/setup_env.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROOT}/.venv"
CACHE="${RPNET_CACHE:-${HOME}/.cache/rpnet_mmseg}"
PYTHON="${PYTHON:-python3}"
MMCV_VERSION=2.1.0

stamp_src="$(cat "${ROOT}/requirements.txt" "${ROOT}/tools/setup_env.sh" "${ROOT}/setup.py" | sha1sum | cut -c1-16)"
STAMP="${VENV}/.rpnet_env_${stamp_src}"
if [ -f "${STAMP}" ]; then
  exit 0
fi

log() { echo "[setup_env] $*" >&2; }
mkdir -p "${CACHE}"

if [ ! -x "${VENV}/bin/python" ]; then
  log "creating ${VENV}"
  "${PYTHON}" -m venv "${VENV}"
fi
PIP=("${VENV}/bin/python" -m pip install -q --disable-pip-version-check)

log "build tools and torch"
"${PIP[@]}" 'setuptools==80.9.0' wheel ninja
"${PIP[@]}" 'torch==2.14.1' 'torchvision==0.29.1'

mmcv_wheel="$(ls "${CACHE}"/mmcv-${MMCV_VERSION}-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "${mmcv_wheel}" ]; then
  log "building mmcv ${MMCV_VERSION} with CPU ops (once, ~17 min on 2 cores)"
  build="$(mktemp -d)"
  (
    cd "${build}"
    "${VENV}/bin/python" -m pip download -q --no-deps --no-binary :all: \
      --no-build-isolation "mmcv==${MMCV_VERSION}" -d .
    tar xzf mmcv-${MMCV_VERSION}.tar.gz
    cd mmcv-${MMCV_VERSION}
    # torch 2.14's headers need C++20.
    sed -i 's/-std=c++17/-std=c++20/g' setup.py
    CUDA_VISIBLE_DEVICES= MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-2}" \
      "${VENV}/bin/python" -m pip wheel -q --no-build-isolation --no-deps . -w "${build}/dist"
  )
  # Publish atomically so that an interrupted build never leaves a broken wheel.
  whl="$(ls "${build}"/dist/mmcv-*.whl)"
  cp "${whl}" "${CACHE}/.tmp_$(basename "${whl}")"
  mv "${CACHE}/.tmp_$(basename "${whl}")" "${CACHE}/$(basename "${whl}")"
  rm -rf "${build}"
  mmcv_wheel="${CACHE}/$(basename "${whl}")"
fi

crf_wheel="$(ls "${CACHE}"/pydensecrf2-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "${crf_wheel}" ]; then
  log "building pydensecrf2 (once, ~1 min)"
  build="$(mktemp -d)"
  "${VENV}/bin/python" -m pip wheel -q --no-deps 'pydensecrf2==1.1' -w "${build}"
  whl="$(ls "${build}"/pydensecrf2-*.whl)"
  cp "${whl}" "${CACHE}/.tmp_$(basename "${whl}")"
  mv "${CACHE}/.tmp_$(basename "${whl}")" "${CACHE}/$(basename "${whl}")"
  rm -rf "${build}"
  crf_wheel="${CACHE}/$(basename "${whl}")"
fi

log "installing mmcv, pydensecrf2 and requirements.txt"
"${PIP[@]}" "${mmcv_wheel}" "${crf_wheel}"
"${PIP[@]}" -r "${ROOT}/requirements.txt"
"${PIP[@]}" --no-deps --no-build-isolation -e "${ROOT}"

rm -f "${VENV}"/.rpnet_env_*
touch "${STAMP}"
log "environment ready: ${VENV}"
