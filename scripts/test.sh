#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# One command on a fresh Debian bookworm: install what is missing, build
# with -Werror, run every test, then build and run the whole suite again
# under AddressSanitizer + UndefinedBehaviorSanitizer, then build the
# libFuzzer targets and give each a short smoke run.
#   scripts/test.sh            everything
#   FC_SKIP_ASAN=1 / FC_SKIP_FUZZ=1 scripts/test.sh   skip a pass (local iteration)
#   FC_FUZZ_SECONDS=N          fuzz each target N seconds (default 10)
# The shared corpus (pcaps + ground truth) is read from ../shared next to
# the source tree, or from $FC_SHARED_DIR.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
scripts/deps.sh test

FC_SHARED_DIR=${FC_SHARED_DIR:-$(cd "$top/.." && pwd)/shared}
export FC_SHARED_DIR
if [ ! -d "$FC_SHARED_DIR/pcaps" ]; then
    echo "test.sh: shared corpus not found at $FC_SHARED_DIR (set FC_SHARED_DIR)" >&2
    exit 1
fi

passed=0
failed=0
tally() { # $1 = meson build dir
    log="$1/meson-logs/testlog.json"
    [ -f "$log" ] || return 0
    p=$(grep -c '"result": "OK"' "$log" || true)
    f=$(grep -c -E '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)
    passed=$((passed + p))
    failed=$((failed + f))
}

run_suite() { # $1 = dir, rest = meson options
    dir=$1
    shift
    echo "== build $dir" >&2
    scripts/build.sh "$dir" -Dwerror=true -Dtests=enabled "$@"
    echo "== test $dir" >&2
    rc=0
    meson test -C "$dir" --print-errorlogs --num-processes 2 || rc=$?
    tally "$dir"
    return $rc
}

status=0
run_suite build || status=1
if [ "${FC_SKIP_ASAN:-0}" != 1 ]; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false || status=1
fi

if [ "${FC_SKIP_FUZZ:-0}" != 1 ]; then
    # The fuzz build (clang, -fsanitize=fuzzer,address,undefined) replays the
    # shared pcaps through every target (meson suite fuzz-smoke), then fuzzes
    # each target for a few seconds. New inputs go to a scratch corpus under
    # build-fuzz/; the shared pcaps are only read, as seeds.
    echo "== fuzz build and smoke" >&2
    if CC=clang scripts/build.sh build-fuzz -Dfuzz=true -Dtests=enabled; then
        rc=0
        meson test -C build-fuzz --suite fuzz-smoke --print-errorlogs || rc=$?
        tally build-fuzz
        [ $rc -eq 0 ] || status=1
        for f in build-fuzz/tests/fuzz/fuzz_*; do
            [ -x "$f" ] && [ -f "$f" ] || continue
            name=$(basename "$f")
            mkdir -p "build-fuzz/corpus/$name"
            if "$f" "build-fuzz/corpus/$name" "$FC_SHARED_DIR/pcaps" \
                    -max_len=4096 -max_total_time="${FC_FUZZ_SECONDS:-10}" \
                    >"build-fuzz/$name.log" 2>&1; then
                passed=$((passed + 1))
                echo "fuzz $name: $(grep -o 'Done [0-9]* runs' "build-fuzz/$name.log" || echo ok)" >&2
            else
                failed=$((failed + 1))
                echo "fuzz $name: FAILED" >&2
                tail -40 "build-fuzz/$name.log" >&2
                status=1
            fi
        done
    else
        failed=$((failed + 1))
        status=1
    fi
fi

echo "$passed passed, $failed failed"
exit $status
