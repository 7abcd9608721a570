#!/usr/bin/env bash
# Installs the Debian packages lrsweep needs to build, test and run, if any is
# missing, and makes the Python package python/lrsweep importable from
# /usr/bin/python3 (scripts/python-path.sh).  Idempotent: does nothing (and needs no
# network) when all are there.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config git
  openmpi-bin libopenmpi-dev
  libhdf5-openmpi-dev hdf5-tools
  libscalapack-openmpi-dev
  libgsl-dev libopenblas-dev liblapacke-dev libssl-dev
  slurm-wlm munge time python3 python3-numpy python3-h5py python3-matplotlib python3-pytest python3-scipy python3-mpmath
  python3-pandas python3-xarray python3-sklearn
)
[ "${LRS_DEPS_EXTRA:-}" ] && read -r -a extra <<<"$LRS_DEPS_EXTRA" && packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages and not root; run as root or install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
"$(dirname "$0")/python-path.sh"
