#!/usr/bin/env bash
# What an idle named connection costs each server in resident memory: tern, nats-server and redis-server, each
# alone, with N idle peers that registered and then say nothing.
#
#   loadgen/scripts/memory.sh [--peers N] [--runs R] [--targets "tern nats redis"] [--quiet-time SECONDS]
#                             [--out DIR] [--baseline JAR] [--no-build]
#
# What it does, in order:
#   1. installs nats-server and redis-server from the Debian packages if they are missing (apt-get, as root or sudo);
#   2. builds the broker and loadgen jars (mvn -B -q -DskipTests package) unless --no-build;
#   3. for each of R rounds (default 3), for each target (the order rotates each round), starts that server alone on
#      a free loopback port (tern with --max-connections N+100 and --admin-port off; redis-server with --maxclients
#      N+100 and, since idle peers above 10,000 come from 127.0.0.2 and up, --protected-mode no; nats-server as it
#      is), reads its resident size (VmRSS in /proc/PID/status), runs
#        tern-loadgen --target T --idle-peers N --workload none --duration QUIET+2s
#      which connects N peers (tern: the name line and a probe to itself; nats: CONNECT, SUB, PING; redis:
#      SUBSCRIBE) and prints "idle peers  N registered in ..." once the server has confirmed every one; QUIET
#      seconds (default 3) after that line the script reads VmRSS again, checks that the loadgen is still holding
#      the peers (so the sample saw all N connected), and stops the server once the loadgen has ended cleanly;
#   4. writes OUT/results.md: per server, its version, N, RSS before and after (MiB, median), KiB per idle connection
#      ((after - before) / N: median, min and max over the rounds) and the rate at which the loadgen connected and
#      registered them (peers/s, median); the settings (date, machine, versions, exact commands) follow the table.
# Default N is 5000. With N = 19000 the loadgen needs 19,000 connections of its 20,000 open files (ulimit -n). An idle
# tern peer holds no buffer (its one outbound segment, for the reply to its registration, goes back as soon as it is
# seen idle), so tern needs no JVM options for this: what grows is about 1 KiB of objects per peer, plus the young
# generation and the JIT compiler's memory, which do not grow with N (docs/design.md, "How many connections").
# BROKER_JVM_OPTS passes options to tern's JVM, e.g. -XX:TrimNativeHeapInterval=1000 to have it give the compiler's
# freed memory back. Every run's output is in OUT/logs, its JSON summary in OUT/runs.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT=/tmp/memory
RUNS=3
TARGETS="tern nats redis"
PEERS=5000
QUIET=3
BUILD=1

COMMON_OPTIONS="--out --runs --targets --no-build --baseline"
# shellcheck source=lib.sh
. "$ROOT/loadgen/scripts/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --peers) PEERS="$2"; shift 2 ;;
    --quiet-time) QUIET="$2"; shift 2 ;;
    *) common_option "$@"; shift "$ARGS_TAKEN" ;;
  esac
done
[[ "$PEERS" =~ ^[1-9][0-9]*$ ]] || { echo "--peers $PEERS: a whole number, at least 1" >&2; exit 2; }
QUIET=$(whole_seconds --quiet-time "$QUIET")
check_targets "$TARGETS"

install_packages nats-server:nats-server redis-server:redis-server
build_jars "$BUILD"

MAX_CONNECTIONS=$((PEERS + 100))
BROKER_EXTRA="--max-connections $MAX_CONNECTIONS --admin-port off"
REDIS_EXTRA="--maxclients $MAX_CONNECTIONS --protected-mode no"
HOLD=$((QUIET + 2))
CONNECT_TIMEOUT=$((60 + PEERS / 100))s

rm -rf "$OUT/runs" "$OUT/logs"
mkdir -p "$OUT/runs" "$OUT/logs"
COMMANDS="$OUT/logs/commands.txt"
ROUNDS="$OUT/logs/rounds.tsv" # target round rss-before-KiB rss-after-KiB KiB-per-connection peers/s
: >"$COMMANDS"
: >"$ROUNDS"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# Waits until the loadgen (pid $1, output $2) says every idle peer is registered; fails if it ends first.
await_registered() {
  local pid="$1" logfile="$2"
  until grep -q '^idle peers  [0-9]* registered in' "$logfile" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
}

START_EPOCH=$(date +%s)
START_DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
failed=0
read -r -a target_list <<<"$TARGETS"
for run in $(seq "$RUNS"); do
  for target in $(rotated_targets "$run" "${target_list[@]}"); do
    start_server "$target" "$OUT/logs/$target-server.r$run.log"
    echo "# round $run: $(server_command "$target" | sed "s/PORT/$SERVER_PORT/")" >>"$COMMANDS"
    sleep 1 # let the server finish starting up, so its start-up allocations are in the first sample
    before=$(rss_kib "$SERVER_PID")
    label="memory.$target.r$run"
    args=(--target "${target%%-*}" --port "$SERVER_PORT" --idle-peers "$PEERS" --workload none --duration "${HOLD}s"
          --connect-timeout "$CONNECT_TIMEOUT" --quiet --out "$OUT/runs" --label "$label")
    echo "java -jar loadgen/target/tern-loadgen.jar ${args[*]}" >>"$COMMANDS"
    java -jar "$LOADGEN_JAR" "${args[@]}" >"$OUT/logs/$label.txt" 2>&1 &
    loadgen=$!
    PIDS+=("$loadgen")
    after=""
    if await_registered "$loadgen" "$OUT/logs/$label.txt"; then
      sleep "$QUIET"
      after=$(rss_kib "$SERVER_PID")
      # The loadgen holds the peers for QUIET + 2 s after that line: if it has ended already, the sample may have
      # seen fewer than N connections, and does not count.
      kill -0 "$loadgen" 2>/dev/null || after=""
    fi
    rc=0
    wait "$loadgen" || rc=$?
    forget "$loadgen"
    stop_server
    rate=$(json_number "$OUT/runs/$label.json" registerPeersPerSecond 2>/dev/null || true)
    if [ "$rc" -ne 0 ] || [ -z "$after" ] || [ -z "$rate" ]; then
      failed=$((failed + 1))
      log "round $run/$RUNS: $target FAILED (loadgen exit $rc; see $OUT/logs/$label.txt)"
      grep -E '^(FAILED|problem)' "$OUT/logs/$label.txt" | head -3 || true
      continue
    fi
    per=$(awk -v b="$before" -v a="$after" -v n="$PEERS" 'BEGIN { printf "%.2f", (a - b) / n }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$run" "$before" "$after" "$per" "$rate" >>"$ROUNDS"
    log "round $run/$RUNS: $target RSS $((before / 1024)) -> $((after / 1024)) MiB with $PEERS idle peers:" \
      "$per KiB each; registered at $rate peers/s"
  done
done
ELAPSED=$(( $(date +%s) - START_EPOCH ))

# ------------------------------------------------------------------------------------------- the table

column_of() { awk -F'\t' -v t="$1" -v c="$2" '$1 == t { print $c }' "$ROUNDS"; }
{
  echo "# Resident memory per idle connection"
  echo
  echo "$PEERS idle peers, each registered under its name, then silent; the server's VmRSS before they connect" \
    "and $QUIET s after the last was registered. Median over the rounds (min-max in brackets)."
  echo
  echo "| server | version | N | RSS before MiB | RSS after MiB | KiB per idle connection | connect and register peers/s | rounds |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for t in $TARGETS; do
    read -r before_med _ _ <<<"$(column_of "$t" 3 | median_min_max)"
    read -r after_med _ _ <<<"$(column_of "$t" 4 | median_min_max)"
    read -r per_med per_min per_max <<<"$(column_of "$t" 5 | median_min_max)"
    read -r rate_med rate_min rate_max <<<"$(column_of "$t" 6 | median_min_max)"
    rounds=$(column_of "$t" 1 | wc -l)
    mib() { [ "$1" = - ] && echo - || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
    num() { [ "$1" = - ] && echo - || awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v }'; }
    echo "| $t | $(server_version "$t" | cut -d, -f1) | $PEERS | $(mib "$before_med") | $(mib "$after_med") |" \
      "$(num "$per_med" 1) ($(num "$per_min" 1)-$(num "$per_max" 1)) |" \
      "$(num "$rate_med" 0) ($(num "$rate_min" 0)-$(num "$rate_max" 0)) | $rounds of $RUNS |"
  done
  echo
  echo "## Settings"
  echo
  settings_lines "$START_DATE" "$START_LOAD" $TARGETS
  echo "- $RUNS rounds, $ELAPSED s in all; $failed run(s) failed and are left out (see logs/)."
  echo "- Servers, one at a time (only the one measured runs), started afresh each round (the order rotates);" \
    "PORT is a free loopback port:"
  for t in $TARGETS; do echo "  - $t: \`$(server_command "$t")\`"; done
  echo "- Every loadgen run: \`java -jar loadgen/target/tern-loadgen.jar --target T --port PORT --idle-peers $PEERS" \
    "--workload none --duration ${HOLD}s --connect-timeout $CONNECT_TIMEOUT --quiet --out DIR --label" \
    "memory.<T>.r<round>\`; the \"after\" sample is taken $QUIET s after its line \`idle peers  $PEERS registered" \
    "in ...\`, while it still holds them."
  echo "- The exact command of every run is in \`logs/commands.txt\`, its output in \`logs/<label>.txt\`, each" \
    "round's numbers in \`logs/rounds.tsv\`."
} >"$OUT/results.md"

log "done in $ELAPSED s: $OUT/results.md"
cat "$OUT/results.md"
[ "$failed" -eq 0 ]
