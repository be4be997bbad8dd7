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
# The decoder, what the summary reads of a matched line, and what they need, without the
# parts that pull in other packages (the summary's histograms).
files=(
    "$src"/AccessLog/{EnvoyFormat,IstioFormats,AccessLogField,AccessLogRecord,AccessLogWriter,AccessLogParser}.swift
    "$src"/AccessLog/{LinePrefix,EnvoyTimestamp,EnvoyTimestamp+Parse,JSONAccessLogParser,AccessLogDecoder,AccessLogLine}.swift
    "$src"/Pairing/RequestKey.swift "$src"/Text/{ControlBytes,TextInterner}.swift
    Fuzz/AccessLogFuzz.swift
)
if [[ ! -x $out/access-log-fuzz || -n $(find "${files[@]}" -newer "$out/access-log-fuzz" 2>/dev/null) ]]; then
    swiftc -sanitize=fuzzer,address -parse-as-library -O -swift-version 6 -module-name AccessLogFuzz \
        "${files[@]}" -o "$out/access-log-fuzz" >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
fi
cp -n Fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
log="$out/run.log"
if "$out/access-log-fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=5 -artifact_prefix="$out/" \
    "$out/corpus" >"$log" 2>&1; then
    echo "fuzz: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | head -1 | sed 's/ second/ s/'), no crash"
else
    tail -n 40 "$log"
    echo "fuzz: the access-log decoder failed; the input is in $out/ (crash-* / timeout-* / leak-*)" >&2
    exit 1
fi
