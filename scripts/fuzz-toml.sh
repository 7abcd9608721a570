#!/usr/bin/env bash
# Fuzzes the TOML parser with libFuzzer + ASan + UBSan.
#
#   scripts/fuzz-toml.sh [SECONDS] [extra libFuzzer arguments...]
#
# SECONDS defaults to 300.  Configures (once) a clang build directory
# build-fuzz/ with -Dfuzz=true, seeds fuzz/corpus-run/ (gitignored) with the
# committed corpus fuzz/corpus-toml/ (the project's own sweep files, its
# invalid-sweep cases and inputs a run found; the meson test fuzz-replay-toml
# replays it in every test run) and, when present, every .toml file of the
# toml-test data, and runs fuzz/fuzz_toml on it; the corpus grows across runs.
# Crash inputs land in build-fuzz/fuzz-artifacts/.
# Environment: TOML_TEST_DIR (default ../shared/toml-test), FUZZ_BUILD_DIR.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-300}
[ $# -gt 0 ] && shift
builddir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
toml_test=${TOML_TEST_DIR:-$root/../shared/toml-test}
corpus=$root/fuzz/corpus-run
artifacts=$builddir/fuzz-artifacts

if [ ! -f "$builddir/build.ninja" ]; then
  CC=clang meson setup "$builddir" "$root" -Dfuzz=true -Dtests=false \
    -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer'
fi
ninja -C "$builddir" fuzz/fuzz_toml

mkdir -p "$corpus" "$artifacts"
cp -n "$root"/fuzz/corpus-toml/* "$corpus/"
# Seeds keep their path in the name: many cases share a base name.
[ -d "$toml_test/tests" ] && (cd "$toml_test/tests" && find . -name '*.toml' -print0) |
  while IFS= read -r -d '' f; do
    name=seed_$(printf '%s' "${f#./}" | tr '/' '_')
    [ -e "$corpus/$name" ] || cp "$toml_test/tests/$f" "$corpus/$name"
  done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec "$builddir/fuzz/fuzz_toml" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
  -dict="$root/fuzz/toml.dict" -artifact_prefix="$artifacts/" \
  "$corpus" "$@"
