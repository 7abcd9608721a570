#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (as root): installs what is
# missing, builds lrsweep (release), and runs the quickstart sweep.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

scripts/deps.sh
scripts/build.sh build --buildtype=release

sweep=sweeps/quickstart.toml
build/lrsweep plan "$sweep"
