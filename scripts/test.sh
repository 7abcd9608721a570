#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with -Werror, runs
# every test, and ends with the line "N passed, N failed" (individual checks).
# Usage: scripts/test.sh [--sanitize]   (--sanitize: ASan+UBSan debug build)
set -uo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# One node: PMIx authenticates its local clients by their kernel credentials, not by
# munge (with munge installed but munged down, every mpirun retried its socket ~2.4 s).
export PMIX_MCA_psec=${PMIX_MCA_psec:-native}

scripts/deps.sh || exit 1

dir=build-test
opts=(--buildtype=debugoptimized -Dwerror=true)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-sanitize
  opts=(--buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true)
  # Open MPI's own allocations are not ours to chase.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi
scripts/build.sh "$dir" "${opts[@]}" || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

meson test -C "$dir" --num-processes 2 --print-errorlogs >"$dir/meson-test.out" 2>&1
meson_rc=$?
tail -n 25 "$dir/meson-test.out"

# Python tests (baselines, analysis) with Debian's pytest; the built lrsweep is
# handed to them through LRSWEEP.
LRSWEEP=$PWD/$dir/lrsweep /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  --junitxml="$dir/pytest.xml" tests/bench/test_baseline.py tests/analysis/test_analysis.py \
  tests/analysis/test_reproduce_quick.py tests/python/test_package.py \
  tests/python/test_figures.py \
  >"$dir/pytest.out" 2>&1
pytest_rc=$?
tail -n 5 "$dir/pytest.out"

/usr/bin/python3 tests/summarize.py "$dir/meson-logs/testlog.json" "$dir/pytest.xml"
sum_rc=$?
[ $meson_rc -eq 0 ] && [ $pytest_rc -eq 0 ] && [ $sum_rc -eq 0 ]
