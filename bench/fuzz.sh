#!/usr/bin/env bash
# The access-log fuzzer's executions a second, beside the same fuzzer and sanitizers around an
# empty target (what libFuzzer and AddressSanitizer cost an execution on this machine), each
# from a fresh copy of the seed corpus.
#   bash bench/fuzz.sh        (SECONDS_RUN=30 per fuzzer)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SECONDS_RUN:-30}
Fuzz/run.sh 1 >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/meshtop-fuzz-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The same sources and flags as Fuzz/run.sh, with the target's body skipped.
sed 's/^    let bytes = UnsafeBufferPointer(start: data, count: size)$/    if size >= 0 { return 0 }\n&/' \
    Fuzz/AccessLogFuzz.swift >"$tmp/AccessLogFuzz.swift"
grep -q 'if size >= 0 { return 0 }' "$tmp/AccessLogFuzz.swift" || { echo "bench: the empty target was not made" >&2; exit 1; }
mapfile -t files < .build/fuzz/files
files=("${files[@]/Fuzz\/AccessLogFuzz.swift/$tmp/AccessLogFuzz.swift}")
swiftc -sanitize=fuzzer,address -sanitize-coverage=edge,inline-8bit-counters,pc-table \
    -parse-as-library -O -swift-version 6 -module-name AccessLogFuzz "${files[@]}" -o "$tmp/empty" >"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log" >&2; exit 1; }

run() { # name binary
    mkdir -p "$tmp/corpus-$1"
    cp Fuzz/corpus/* "$tmp/corpus-$1/"
    "$2" -max_total_time="$seconds" -max_len=4096 -timeout=5 "$tmp/corpus-$1" >"$tmp/$1.log" 2>&1
    grep -E '^#[0-9]+[[:space:]]+DONE' "$tmp/$1.log" | grep -Eo 'exec/s: [0-9]+' | cut -d' ' -f2
}
decoder=$(run decoder .build/fuzz/access-log-fuzz)
empty=$(run empty "$tmp/empty")
printf '%-44s %12s\n' "" "exec/s"
printf '%-44s %12d\n' "access-log fuzzer (libFuzzer + ASan, -O)" "$decoder"
printf '%-44s %12d\n' "the same around an empty target" "$empty"
echo "decoder / empty = $(awk -v a="$decoder" -v b="$empty" 'BEGIN { printf "%.3f", a / b }')"
