#!/usr/bin/env bash
# The distributed (ScaLAPACK) tests under valgrind memcheck, with Open MPI's
# own reports suppressed by tests/valgrind-mpi.supp.  A run is clean when
# valgrind reports no error (invalid access, uninitialised use, definite or
# indirect leak): valgrind then exits with the test's own code, otherwise 9.
# Checks that need x87 extended precision (OpenBLAS's dnrm2 near overflow)
# fail under valgrind, which computes in double: their TAP lines are not
# what this script judges.  Takes ~10 minutes on 2 cores.
# Usage: scripts/valgrind-dist.sh [BUILD_DIR]   (default build-test, made by scripts/test.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-test}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
vg=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=9
    --suppressions="$PWD/tests/valgrind-mpi.supp")
clean=0 dirty=0
run() { # NP TEST
  local log="$dir/valgrind-$(basename "$2")-np$1.log"
  mpiexec --oversubscribe -np "$1" "${vg[@]}" "$dir/$2" >"$log" 2>&1
  if [ $? -eq 9 ] || grep -q "^==[0-9]*== [A-Z]" "$log"; then
    echo "valgrind errors: $2 on $1 ranks (see $log)"; dirty=$((dirty + 1))
  else
    echo "valgrind clean: $2 on $1 ranks"; clean=$((clean + 1))
  fi
}
command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null
for np in 1 2 4; do run $np tests/linalg/test_linalg_dist; done
for np in 2 4; do run $np tests/solve/test_solve_dist; done
run 2 tests/solve/test_dist_noalloc
echo "$clean passed, $dirty failed"
[ $dirty -eq 0 ]
