#!/usr/bin/env bash
# meshtop logs against GoAccess on the same access log, in one run.
#   bash bench/logs.sh [LINES]      (default 1,000,000; env STREAM_COPIES=10 for the RSS run,
#                                    PAIRS_LINES=10000000 for the --pairs RSS run (0: none),
#                                    RUNS=3 timed runs of each tool, the best counts)
# Writes LINES istio-format lines (80 % of requests paired) with bench/gen_istio_log.py, then
# times `meshtop logs --no-follow --summary FILE` and `goaccess FILE` with an equivalent
# --log-format, and each way of printing every line (text, --json, --pairs --json); measures
# meshtop's peak RSS while STREAM_COPIES copies of the file stream through stdin with
# --summary, and while PAIRS_LINES fresh lines (the log's clock moving on, as a live log's
# does) stream through --pairs --json. Needs: swift, python3, goaccess (make bench installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
copies=${STREAM_COPIES:-10}
command -v goaccess >/dev/null || { echo "bench: goaccess is not installed (apt-get install goaccess)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/meshtop-logs-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

swift build -c release --product meshtop --quiet >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
meshtop="$(swift build -c release --show-bin-path)/meshtop"

echo "bench: writing $lines lines" >&2
python3 bench/gen_istio_log.py "$lines" >"$tmp/access.log"

# GoAccess reads the same fields: time, request line, status, bytes sent, duration (ms),
# user agent, authority as virtual host, and the downstream remote address as the client.
goaccess_format='[%dT%t.%^] "%m %U %H" %s %^ %^ %^ "%^" %^ %b %L %^ "%^" "%u" "%^" "%v" "%^" %^ %^ %^ %h:%^ %^ %^'

# Wall time, CPU time and peak RSS of a command, measured by the kernel for the child; the
# best of RUNS runs (default 3), as a shared 2-core machine adds noise of its own.
measure() { # label stdin-file command...
    python3 - "$@" <<'PY'
import os, resource, subprocess, sys, time
label, stdin_path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
best = None
for _ in range(int(os.environ.get("RUNS", "3"))):
    stdin = open(stdin_path, "rb") if stdin_path != "-" else subprocess.DEVNULL
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        sys.exit(f"bench: {label} exited {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if best is None or wall < best[0]:
        best = (wall, cpu)
# ru_maxrss of children is the largest child so far: the same command each run.
print(f"{label} {best[0]:.3f} {best[1]:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f}")
PY
}

read -r _ m_wall m_cpu m_rss < <(measure meshtop - "$meshtop" logs --no-follow --summary "$tmp/access.log")
read -r _ t_wall t_cpu t_rss < <(measure text - "$meshtop" logs --no-follow "$tmp/access.log")
read -r _ j_wall j_cpu j_rss < <(measure json - "$meshtop" logs --no-follow --json "$tmp/access.log")
read -r _ p_wall p_cpu p_rss < <(measure pairs - "$meshtop" logs --no-follow --pairs --json "$tmp/access.log")
read -r _ g_wall g_cpu g_rss < <(measure goaccess - goaccess "$tmp/access.log" --log-format="$goaccess_format" \
    --date-format=%Y-%m-%d --time-format=%H:%M:%S --no-global-config -o "$tmp/report.json")
# Check both read the lines: goaccess's report counts valid requests, meshtop's summary records.
g_valid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["general"]["valid_requests"])' "$tmp/report.json")
m_records=$("$meshtop" logs --no-follow --summary --json --pairs "$tmp/access.log" | tail -n 1 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')

# Streaming: the file STREAM_COPIES times through stdin, for meshtop's peak memory.
stream="$tmp/stream.sh"
# shellcheck disable=SC2016 # the $(seq) belongs to the script being written, not to this one
printf 'for i in $(seq %d); do cat %q; done\n' "$copies" "$tmp/access.log" >"$stream"
read -r _ s_wall _ s_rss < <(python3 - "$stream" "$meshtop" <<'PY'
import resource, subprocess, sys, time
stream, meshtop = sys.argv[1], sys.argv[2]
start = time.monotonic()
feeder = subprocess.Popen(["bash", stream], stdout=subprocess.PIPE)
proc = subprocess.run([meshtop, "logs", "--no-follow", "--summary", "-"], stdin=feeder.stdout, stdout=subprocess.DEVNULL)
feeder.wait()
wall = time.monotonic() - start
# ru_maxrss of children is the largest child: meshtop, not bash or cat.
print("stream", f"{wall:.3f}", 0, f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f}")
sys.exit(proc.returncode)
PY
)

# --pairs holds a window of lines: its memory over a log ten times as long, generated as it
# is read, so that the log's clock moves on (copies of one file would go back in time).
pairs_lines=${PAIRS_LINES:-10000000}
if ((pairs_lines > 0)); then
    read -r _ _ _ q_rss < <(python3 - "$meshtop" "$pairs_lines" <<'PY'
import resource, subprocess, sys
meshtop, lines = sys.argv[1], sys.argv[2]
feeder = subprocess.Popen([sys.executable, "bench/gen_istio_log.py", lines, "7"], stdout=subprocess.PIPE)
proc = subprocess.run([meshtop, "logs", "--no-follow", "--pairs", "--json", "-"], stdin=feeder.stdout, stdout=subprocess.DEVNULL)
feeder.wait()
# The largest child: meshtop (the generator holds a few MB).
print("pairs-stream", 0, 0, f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f}")
sys.exit(proc.returncode)
PY
    )
fi

rate() { awk -v n="$lines" -v t="$1" 'BEGIN{print n/t}'; }
ratio=$(awk -v g="$g_wall" -v m="$m_wall" 'BEGIN { printf "%.2f", g / m }')
printf '%-34s %10s %10s %12s %10s\n' "" "wall s" "cpu s" "lines/s" "RSS MB"
printf '%-34s %10.2f %10.2f %12.0f %10.1f\n' "meshtop logs --summary ($m_records)" "$m_wall" "$m_cpu" "$(awk -v n="$lines" -v t="$m_wall" 'BEGIN{print n/t}')" "$m_rss"
printf '%-34s %10.2f %10.2f %12.0f %10.1f\n' "meshtop logs (text)" "$t_wall" "$t_cpu" "$(rate "$t_wall")" "$t_rss"
printf '%-34s %10.2f %10.2f %12.0f %10.1f\n' "meshtop logs --json" "$j_wall" "$j_cpu" "$(rate "$j_wall")" "$j_rss"
printf '%-34s %10.2f %10.2f %12.0f %10.1f\n' "meshtop logs --pairs --json" "$p_wall" "$p_cpu" "$(rate "$p_wall")" "$p_rss"
printf '%-34s %10.2f %10.2f %12.0f %10.1f\n' "goaccess 1.7 ($g_valid valid)" "$g_wall" "$g_cpu" "$(awk -v n="$lines" -v t="$g_wall" 'BEGIN{print n/t}')" "$g_rss"
echo "speed-up meshtop vs goaccess = ${ratio}x"
echo "streaming $((lines * copies)) lines through stdin: $(awk -v t="$s_wall" 'BEGIN{printf "%.1f", t}') s, peak RSS ${s_rss} MB"
if ((pairs_lines > 0)); then echo "--pairs --json over $pairs_lines generated lines through stdin: peak RSS ${q_rss} MB"; fi
