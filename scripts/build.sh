#!/usr/bin/env bash
# Configures (once) and builds lrsweep in build dir $1 with extra meson
# options $2..; reconfigures an existing dir instead of failing.
set -euo pipefail
dir=$1; shift
if [ -f "$dir/build.ninja" ]; then
  meson configure "$dir" "$@" >/dev/null
else
  meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
