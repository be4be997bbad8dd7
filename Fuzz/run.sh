#!/usr/bin/env bash
# Builds the access-log fuzzer with libFuzzer + AddressSanitizer and runs it for a bounded time.
#   Fuzz/run.sh [SECONDS]     (default 300; `make test` runs it for 20)
# A crash, a leak, a sanitizer report or a hang over 5 s fails with the input saved in .build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
out=.build/fuzz
mkdir -p "$out/corpus"
src=Sources/Collectors
# The decoder and what the summary reads of a matched line: every file of AccessLog/, Ztunnel/ and
# Text/ (and RequestKey, the one type they need from elsewhere), so a new file there is
# fuzzed too. Left out: a file that imports another package (the summary's histograms),
# and then, until none is left, every file that names (outside comments) a type declared
# in one left out or anywhere else in Collectors.
toolchain='^(Foundation|Glibc|Darwin|Dispatch|Synchronization)$'
declared() { sed -nE 's/^(public |internal |package )?(final )?(struct|enum|class|protocol|actor) ([A-Za-z_][A-Za-z0-9_]*).*/\4/p' "$@"; }
kept=() left=()
for file in "$src"/AccessLog/*.swift "$src"/Ztunnel/*.swift "$src"/Text/*.swift "$src"/Pairing/RequestKey.swift; do
    if sed -n 's/^import \([A-Za-z_]*\).*/\1/p' "$file" | grep -Evq "$toolchain"; then left+=("$file"); else kept+=("$file"); fi
done
mapfile -t elsewhere < <(find "$src" -name '*.swift' | grep -Fxv -f <(printf '%s\n' "${kept[@]}") | sort)
while true; do
    types=$(comm -23 <(declared "${elsewhere[@]}" "${left[@]}" | sort -u) <(declared "${kept[@]}" | sort -u) | paste -sd '|' -)
    users=() rest=()
    for file in "${kept[@]}"; do
        if grep -v '^[[:space:]]*//' "$file" | grep -Eqw "$types"; then users+=("$file"); else rest+=("$file"); fi
    done
    ((${#users[@]})) || break
    left+=("${users[@]}") kept=("${rest[@]}")
done
files=("${kept[@]}" Fuzz/AccessLogFuzz.swift)
# Rebuilt when a file changed or the list did (a file left out must fail here as on a fresh clone).
list=$(printf '%s\n' "${files[@]}")
if [[ ! -x $out/access-log-fuzz || $list != "$(cat "$out/files" 2>/dev/null)" \
    || -n $(find "${files[@]}" -newer "$out/access-log-fuzz" 2>/dev/null) ]]; then
    # Edge coverage without comparison tracing: the corpus already holds the formats'
    # literals, and tracing every byte compare of the matcher halved the executions a second
    # for no more coverage.
    swiftc -sanitize=fuzzer,address -sanitize-coverage=edge,inline-8bit-counters,pc-table \
        -parse-as-library -O -swift-version 6 -module-name AccessLogFuzz \
        "${files[@]}" -o "$out/access-log-fuzz" >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
    printf '%s\n' "$list" >"$out/files"
fi
cp -n Fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
log="$out/run.log"
if "$out/access-log-fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=5 -artifact_prefix="$out/" \
    "$out/corpus" >"$log" 2>&1; then
    echo "fuzz: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | head -1 | sed 's/ second/ s/') ($(grep -Eo 'exec/s: [0-9]+' "$log" | tail -1 | cut -d' ' -f2) a second), no crash"
else
    tail -n 40 "$log"
    echo "fuzz: the access-log decoder failed; the input is in $out/ (crash-* / timeout-* / leak-*)" >&2
    exit 1
fi
