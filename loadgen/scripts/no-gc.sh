#!/usr/bin/env bash
# Runs the broker with its default settings and a GC log under a steady 100,000 msg/s, and reports every GC event.
#
#   loadgen/scripts/no-gc.sh [--out DIR] [--duration TIME] [--rate N] [--no-build]
#
# The broker starts with -Xlog:gc*:file=OUT/gc.log (nothing else added to its JVM; its admin endpoint on a free port
# rather than 8081), 2 s later the loadgen drives 10 pairs
# open loop at RATE msg/s (64-byte messages, 5 s warm-up, DURATION measured, default 60s), and OUT/results.md lists
# the GC log's pauses before the load began and while it ran. The hot path allocates nothing per message, so the
# only GC expected is during start-up, when the broker allocates its rings and pre-allocated structures.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT=/tmp/no-gc
DURATION=60s
RATE=100000
BUILD=1

COMMON_OPTIONS="--out --duration --no-build"
# shellcheck source=lib.sh
. "$ROOT/loadgen/scripts/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    *) common_option "$@"; shift "$ARGS_TAKEN" ;;
  esac
done

build_jars "$BUILD"
mkdir -p "$OUT"
rm -f "$OUT/gc.log" "$OUT/loadgen.txt" "$OUT/broker.txt"
BROKER_JVM_OPTS="-Xlog:gc*:file=$OUT/gc.log:uptime,level,tags"
BROKER_EXTRA="--admin-port 0" # as by default, but on a free port
start_server tern "$OUT/broker.txt"
pauses() { grep -c 'gc  *\] GC([0-9]*) Pause' "$OUT/gc.log" || true; }
sleep 2 # the broker listens before its start-up is over: let that end, so its collections count as start-up
before=$(pauses)
LOADGEN_ARGS=(--port "$SERVER_PORT" --workload pairs --pairs 10 --load open --rate "$RATE" --message-bytes 64
              --warmup 5s --duration "$DURATION" --quiet)
log "broker on 127.0.0.1:$SERVER_PORT (pid $SERVER_PID), $before GC pauses so far; loadgen ${LOADGEN_ARGS[*]}"
rc=0
run_loadgen "$OUT/loadgen.txt" "${LOADGEN_ARGS[@]}" || rc=$?
during=$(( $(pauses) - before ))
stop_server

{
  echo "GC events of a tern broker (default settings) under the loadgen, $(date -u '+%Y-%m-%d %H:%M UTC')," \
    "$(nproc) cores, $(java -version 2>&1 | head -n 1 || true), tern commit" \
    "$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo
  echo "- broker: \`java $BROKER_JVM_OPTS -jar broker/target/tern-broker.jar --port PORT $BROKER_EXTRA\`"
  echo "- loadgen: \`java -jar loadgen/target/tern-loadgen.jar ${LOADGEN_ARGS[*]}\` (exit $rc)"
  echo "- GC pauses before the load began (start-up): $before; while the loadgen ran (warm-up, measured, drain):" \
    "$during"
  echo
  echo '```'
  grep -E '^(achieved|counts|latency|corrected|allocation|result)' "$OUT/loadgen.txt" || true
  echo '```'
  echo
  echo "Every GC pause in the log:"
  echo
  echo '```'
  grep 'gc  *\] GC([0-9]*) Pause' "$OUT/gc.log" || echo "(none)"
  echo '```'
} >"$OUT/results.md"
log "done: $OUT/results.md"
cat "$OUT/results.md"
[ "$rc" -eq 0 ] && [ "$during" -eq 0 ]
