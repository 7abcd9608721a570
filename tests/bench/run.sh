#!/usr/bin/env bash
# Every lrsweep benchmark next to its baseline, in one command:
#
#   tests/bench/run.sh            # ~5 min on 2 cores
#
# builds a release lrsweep in build-bench/, runs the coordinator (2 workers vs
# 1, next to the machine's ceiling), GD, LoRA GF, sweep, large-point, group
# (bench_dist: G = 2 vs G = 1), plan and store benchmarks (tests/bench/report.py; the GD
# rows also against PyTorch, installing Debian's python3-torch when missing) and
# regenerates tests/bench/RESULTS.md (machine description + one table).  Never
# edit RESULTS.md by hand: rerun this.  Needs mpirun (Open MPI), python3-numpy,
# python3-scipy; runs as root (OMPI_ALLOW_RUN_AS_ROOT is set here).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build.sh build-bench --buildtype=release
# PyTorch baseline of the GD rows: Debian's python3-torch (~175 MB), when missing
/usr/bin/python3 -c 'import torch' 2>/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch >/dev/null ||
  echo "run.sh: python3-torch did not install: the PyTorch rows say so" >&2
export OPENBLAS_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export PMIX_MCA_psec=${PMIX_MCA_psec:-native} # one node: no munge (scripts/test.sh)
exec /usr/bin/python3 tests/bench/report.py build-bench tests/bench/RESULTS.md
