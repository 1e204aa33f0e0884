#!/usr/bin/env bash
# What a flooded receiver costs the broker and the other peers: a ping-pong pair measured alone, then beside a flood.
#
#   loadgen/scripts/flood.sh [--out DIR] [--runs N] [--warmup TIME] [--duration TIME] [--message-bytes N]
#                            [--flood-rate LINES] [--no-build]
#
# One broker with its default settings (plus --admin-port 0, to read its memory gauge) serves, in each of RUNS rounds:
#   1. quiet: the loadgen's default ping-pong, 1 pair, 64-byte messages;
#   2. flood: the same ping-pong while `tern-loadgen flood` runs beside it: a receiver that never reads and a sender
#      writing MESSAGE_BYTES-byte lines to it as fast as the broker takes them (or FLOOD_RATE lines a second); the
#      broker cuts the receiver as a slow consumer when its outbound ring fills, a new receiver registers, and the
#      flood goes on.
# It samples the broker's resident memory every second and reads tern_connection_memory_bytes (the direct memory
# allocated for connections' outbound rings and staging buffers) at the end, and writes OUT/results.md: the median
# over the rounds of the ping-pong's p50, p99, p99.9 and max (us) in each phase, the flood's rate and cuts, and the
# memory figures.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT=/tmp/flood
RUNS=3
WARMUP=2s
DURATION=10s
FLOOD_BYTES=64
FLOOD_RATE=0
BUILD=1

COMMON_OPTIONS="--out --runs --warmup --duration --no-build"
# shellcheck source=lib.sh
. "$ROOT/loadgen/scripts/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --message-bytes) FLOOD_BYTES="$2"; shift 2 ;;
    --flood-rate) FLOOD_RATE="$2"; shift 2 ;;
    *) common_option "$@"; shift "$ARGS_TAKEN" ;;
  esac
done

WARMUP_SECONDS=$(whole_seconds --warmup "$WARMUP")
DURATION_SECONDS=$(whole_seconds --duration "$DURATION")
install_packages curl:curl
build_jars "$BUILD"
mkdir -p "$OUT/logs"
rm -f "$OUT"/logs/*
FLOOD_SECONDS=$((WARMUP_SECONDS + DURATION_SECONDS + 3))

BROKER_EXTRA="--admin-port 0"
start_server tern "$OUT/logs/broker.txt"
ADMIN=""
for _ in $(seq 100); do
  ADMIN=$(grep -o 'admin on http://[0-9.:]*' "$OUT/logs/broker.txt" | sed 's/admin on //' || true)
  [ -n "$ADMIN" ] && break
  sleep 0.05
done
log "broker on 127.0.0.1:$SERVER_PORT (pid $SERVER_PID), admin $ADMIN"
rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }
gauge() { { curl -s "$ADMIN/metrics" 2>/dev/null || true; } | awk -v m="$1" '$1 == m { printf "%.0f", $2 }'; }
RSS_START=$(rss_kib)

PING_ARGS=(--port "$SERVER_PORT" --workload pairs --pairs 1 --load ping-pong --message-bytes 64 --warmup "$WARMUP"
           --duration "$DURATION" --quiet)
FLOOD_ARGS=(flood --port "$SERVER_PORT" --duration "$FLOOD_SECONDS" --message-bytes "$FLOOD_BYTES"
            --rate "$FLOOD_RATE")
echo "java -jar loadgen/target/tern-loadgen.jar ${PING_ARGS[*]}" >"$OUT/logs/commands.txt"
echo "java -jar loadgen/target/tern-loadgen.jar ${FLOOD_ARGS[*]}" >>"$OUT/logs/commands.txt"

RSS_MAX=0
sample_rss() {
  local rss
  rss=$(rss_kib)
  [ "$rss" -gt "$RSS_MAX" ] && RSS_MAX=$rss
  true
}

for run in $(seq "$RUNS"); do
  run_loadgen "$OUT/logs/quiet.r$run.txt" "${PING_ARGS[@]}" --name-prefix "quiet$run-" ||
    log "the quiet ping-pong exited $? (see $OUT/logs/quiet.r$run.txt)"
  loadgen_percentiles "$OUT/logs/quiet.r$run.txt" >"$OUT/logs/quiet.r$run.values"
  log "round $run/$RUNS: quiet p50 p99 p99.9 max (us): $(cat "$OUT/logs/quiet.r$run.values")"
  [ "$run" -eq 1 ] && RSS_WARM=$(rss_kib)

  java -jar "$LOADGEN_JAR" "${FLOOD_ARGS[@]}" --name-prefix "flood$run-" >"$OUT/logs/flood.r$run.txt" 2>&1 &
  FLOOD_PID=$!
  PIDS+=("$FLOOD_PID")
  sleep 1 # the flood is under way before the ping-pong starts
  java -jar "$LOADGEN_JAR" "${PING_ARGS[@]}" --name-prefix "during$run-" >"$OUT/logs/during.r$run.txt" 2>&1 &
  PING_PID=$!
  PIDS+=("$PING_PID")
  while kill -0 "$PING_PID" 2>/dev/null; do sample_rss; sleep 1; done
  wait "$PING_PID" || log "the ping-pong beside the flood exited non-zero: see $OUT/logs/during.r$run.txt"
  forget "$PING_PID"
  wait "$FLOOD_PID" || true
  forget "$FLOOD_PID"
  loadgen_percentiles "$OUT/logs/during.r$run.txt" >"$OUT/logs/during.r$run.values"
  log "round $run/$RUNS: during the flood p50 p99 p99.9 max (us): $(cat "$OUT/logs/during.r$run.values");" \
    "$(tail -n 1 "$OUT/logs/flood.r$run.txt")"
done
CONNECTION_MEMORY=$(gauge tern_connection_memory_bytes)
SLOW_CUTS=$(gauge tern_slow_consumer_disconnects_total)
RSS_END=$(rss_kib)
stop_server

median_values() { median_columns "$OUT"/logs/"$1".r*.values; }

{
  echo "| ping-pong, 1 pair, 64-byte messages | p50 us | p99 us | p99.9 us | max us |"
  echo "|---|--:|--:|--:|--:|"
  read -r p50 p99 p999 max <<<"$(median_values quiet)"
  echo "| alone | $p50 | $p99 | $p999 | $max |"
  read -r p50 p99 p999 max <<<"$(median_values during)"
  echo "| beside the flood | $p50 | $p99 | $p999 | $max |"
  echo
  echo "Flood ($FLOOD_BYTES-byte lines, $([ "$FLOOD_RATE" -gt 0 ] && echo "$FLOOD_RATE lines/s" ||
    echo "as fast as the broker takes them")), per round:"
  echo
  for run in $(seq "$RUNS"); do echo "- $(tail -n 1 "$OUT/logs/flood.r$run.txt")"; done
  echo
  echo "Broker memory: resident $((RSS_START / 1024)) MiB after start, $((RSS_WARM / 1024)) MiB after the first" \
    "quiet ping-pong, at most $((RSS_MAX / 1024)) MiB during the floods, $((RSS_END / 1024)) MiB at the end; tern_connection_memory_bytes $((CONNECTION_MEMORY / 1024)) KiB" \
    "after $SLOW_CUTS slow-consumer cuts (the direct memory allocated for connections' rings and staging" \
    "buffers: it follows the most connections open at once)."
  echo
  echo "Median of $RUNS rounds, $DURATION_SECONDS s measured each; $(date -u '+%Y-%m-%d %H:%M UTC');" \
    "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); tern commit" \
    "$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown); broker:" \
    "\`java -jar broker/target/tern-broker.jar --port PORT $BROKER_EXTRA\`; commands in logs/commands.txt."
} >"$OUT/results.md"
log "done: $OUT/results.md"
cat "$OUT/results.md"
