#!/usr/bin/env bash
# Fuzzes the query language (--where, [refine] predicate) with libFuzzer +
# ASan + UBSan for a fixed budget.
#
#   scripts/fuzz-expr.sh [SECONDS] [extra libFuzzer arguments...]
#
# SECONDS defaults to 60 (a CI-sized budget).  Builds fuzz/fuzz_expr in the
# clang build directory of scripts/fuzz-toml.sh (build-fuzz/, configured once
# by whichever script runs first), copies the committed seeds of
# fuzz/corpus-expr/ into the gitignored fuzz/corpus-expr-run/ and fuzzes there;
# exits non-zero on a crash, leak, sanitizer report or timeout (inputs in
# build-fuzz/fuzz-artifacts/; reproduce with build-fuzz/fuzz/fuzz_expr FILE).
# Inputs up to 16 KiB: past the 8192-byte limit of an expression too.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
builddir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
corpus=$root/fuzz/corpus-expr-run
artifacts=$builddir/fuzz-artifacts

if [ ! -f "$builddir/build.ninja" ]; then
  CC=clang meson setup "$builddir" "$root" -Dfuzz=true -Dtests=false \
    -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer'
fi
ninja -C "$builddir" fuzz/fuzz_expr

mkdir -p "$corpus" "$artifacts"
cp -n "$root"/fuzz/corpus-expr/* "$corpus/"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec "$builddir/fuzz/fuzz_expr" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
  -dict="$root/fuzz/expr.dict" -artifact_prefix="$artifacts/" \
  "$corpus" "$@"
