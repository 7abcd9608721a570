#!/usr/bin/env bash
# Makes the package python/lrsweep of this checkout importable from Debian's
# /usr/bin/python3: writes lrsweep.pth (one line, this checkout's python/ folder)
# into its site directory for local installs (/usr/local/lib/python3.X/dist-packages;
# $LRS_PYTHON_SITE instead, for tests).  Idempotent; the last checkout run wins.
# Nothing comes from PyPI: the package needs Debian's python3-h5py, -numpy, -pandas,
# -xarray and -matplotlib (scripts/deps.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
site=${LRS_PYTHON_SITE:-$(/usr/bin/python3 -c 'import site; print(site.getsitepackages()[0])')}
mkdir -p "$site"
want="$here/python"
if [ "$(cat "$site/lrsweep.pth" 2>/dev/null)" != "$want" ]; then
  printf '%s\n' "$want" >"$site/lrsweep.pth.tmp"
  mv "$site/lrsweep.pth.tmp" "$site/lrsweep.pth"
  echo "python: lrsweep importable from /usr/bin/python3 ($site/lrsweep.pth -> $want)"
fi
