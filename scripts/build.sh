#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Configure (once) and build into DIR (default build/).
#   scripts/build.sh [DIR] [meson options...]
# Re-running only rebuilds what changed.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ -f "$dir/build.ninja" ]; then
    [ $# -gt 0 ] && meson configure "$dir" "$@" >/dev/null
else
    meson setup "$dir" --buildtype=debugoptimized "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
