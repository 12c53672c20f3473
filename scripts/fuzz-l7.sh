#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fuzz the session layer (tests/fuzz/fuzz_l7.c) for a fixed number of
# executions per parser, under ASan + UBSan, in the libFuzzer build
# (clang, -Dfuzz=true, configured as scripts/test.sh does).
# Not part of the normal test run: it takes minutes.
#   scripts/fuzz-l7.sh                  1,000,000 runs for each parser
#   FC_FUZZ_RUNS=N scripts/fuzz-l7.sh   N runs each
#   FC_FUZZ_BUILD=DIR scripts/fuzz-l7.sh  build directory (default build-fuzz)
#   scripts/fuzz-l7.sh http dns         only these (http, tls, dns, dns_tcp)
# Inputs go up to FC_FUZZ_MAX_LEN bytes (default 20000), so a message can
# fill the engine's 16 KiB tail (FC_L7_TAIL_MAX) and its limit paths run.
# The corpus of each parser grows in DIR/corpus/fuzz_l7-<parser> (seeded
# with the target's built-in seeds); crashes are written to DIR/ as
# crash-<sha1>. Prints one line per parser (runs, seconds, corpus,
# coverage) and exits non-zero if any run failed.
set -eu
cd "$(dirname "$0")/.."
runs=${FC_FUZZ_RUNS:-1000000}
max_len=${FC_FUZZ_MAX_LEN:-20000}
dir=${FC_FUZZ_BUILD:-build-fuzz}
parsers=${*:-http tls dns dns_tcp}

CC=clang scripts/build.sh "$dir" -Dfuzz=true -Dtests=enabled
target=$dir/tests/fuzz/fuzz_l7

status=0
passed=0
failed=0
for p in $parsers; do
    corpus=$dir/corpus/fuzz_l7-$p
    log=$dir/fuzz_l7-$p.log
    mkdir -p "$corpus"
    start=$(date +%s)
    rc=0
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    FC_FUZZ_L7_PARSER=$p FC_FUZZ_L7_SEEDS=$corpus \
        "$target" "$corpus" -runs="$runs" -max_len="$max_len" -timeout=10 \
        -error_exitcode=1 -artifact_prefix="$dir/" >"$log" 2>&1 || rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 77 ]; then       # the target's own code (libFuzzer errors exit 1)
        echo "fuzz_l7 $p: SKIP (parser not in this build)"
        continue
    fi
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "fuzz_l7 $p: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" || echo done)," \
             "corpus $(ls "$corpus" | wc -l) inputs, cov $(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2), ${secs}s"
    else
        failed=$((failed + 1))
        status=1
        echo "fuzz_l7 $p: FAILED (exit $rc), see $log"
        tail -30 "$log"
    fi
done
echo "$passed passed, $failed failed"
exit $status
