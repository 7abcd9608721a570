#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (as root): installs what is
# missing, builds lrsweep (release), runs the quickstart sweep under mpirun
# (1 coordinator + 2 workers), and prints a phase-diagram summary.
# Running it again resumes (nothing left to do) and prints the summary again.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One node: PMIx authenticates its local clients by their kernel credentials, not by
# munge (with munge installed but munged down, every mpirun retried its socket ~2.4 s).
export PMIX_MCA_psec=${PMIX_MCA_psec:-native}

scripts/deps.sh
scripts/build.sh build --buildtype=release

sweep=sweeps/quickstart.toml
store=quickstart.h5
build/lrsweep plan "$sweep"
mpirun --oversubscribe -np 3 build/lrsweep "$sweep" --store "$store" --progress-seconds 5
build/lrsweep status "$store"
echo
echo "Measured per-iteration rate (median over seeds), rows σ², columns width:"
build/lrsweep query "$store" --pivot width,sigma2,rate --agg median
echo
echo "Theory: asymptotic rate 1 − (μ/K)·α1/α2 at t = 0:"
build/lrsweep query "$store" --pivot width,sigma2,asymptotic_rate --agg median
