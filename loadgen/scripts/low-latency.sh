#!/usr/bin/env bash
# Measures tern's low-latency setting against the loopback round trip that sockperf measures on this machine.
#
#   loadgen/scripts/low-latency.sh [--out DIR] [--runs N] [--warmup TIME] [--duration SECONDS] [--no-build]
#
# What it does, in order:
#   1. installs sockperf from the Debian packages if it is missing (apt-get, as root or sudo);
#   2. builds the broker and loadgen jars (mvn -B -q -DskipTests package) unless --no-build;
#   3. for each of RUNS rounds, one after the other, nothing else of ours running meanwhile:
#      - sockperf-spin: `sockperf sr --nonblocked` and `sockperf pp --nonblocked --full-rtt`, 64-byte messages over
#        TCP on loopback, both busy-polling their sockets: the loopback round trip with no wake-ups;
#      - sockperf-block: the same with blocking sockets (each side wakes from a blocking receive);
#      - tern-low-latency: the broker with `--idle-strategy busy-spin` (one shared thread, busy-polling its
#        selector) and a loadgen ping-pong on one client thread that busy-polls (`--client-threads 1 --spin 1s`);
#      - tern-default: the broker with its defaults and the loadgen's default ping-pong (as in compare.sh);
#   4. writes OUT/results.md: per setting, the median over the rounds of p50, p99, p99.9 and max in microseconds,
#      and the ratio of tern-low-latency's p50 to sockperf-spin's.
# sockperf reports round trips (client -> server -> client: two crossings of loopback); the loadgen reports one-way
# latency through the broker (sender -> broker -> receiver: also two crossings), so the two compare like for like.
# Both spinning settings keep two cores busy: on a 2-core machine nothing else should run meanwhile.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT=/tmp/low-latency
RUNS=3
WARMUP=2s
DURATION=10
BUILD=1

COMMON_OPTIONS="--out --runs --warmup --duration --no-build"
# shellcheck source=lib.sh
. "$ROOT/loadgen/scripts/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    *) common_option "$@"; shift "$ARGS_TAKEN" ;;
  esac
done

DURATION=$(whole_seconds --duration "$DURATION")

install_packages sockperf:sockperf
build_jars "$BUILD"
mkdir -p "$OUT/logs"
rm -f "$OUT"/logs/*
COMMANDS="$OUT/logs/commands.txt"
: >"$COMMANDS"

LOADGEN_ARGS=(--workload pairs --pairs 1 --load ping-pong --message-bytes 64 --warmup "$WARMUP"
              --duration "${DURATION}s" --quiet)
LOW_LATENCY_BROKER="--admin-port off --idle-strategy busy-spin"
LOW_LATENCY_LOADGEN="--client-threads 1 --spin 1s"

# Prints "p50 p99 p99.9 max" (us) of a sockperf --full-rtt output.
sockperf_percentiles() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
    /percentile 50.000 =/ { p50 = $NF } /percentile 99.000 =/ { p99 = $NF } /percentile 99.900 =/ { p999 = $NF }
    /<MAX> observation =/ { max = $NF }
    END { if (p50 == "") exit 1; print p50, p99, p999, max }'
}

run_sockperf() {
  local setting="$1" run="$2" port mode=()
  [ "$setting" = sockperf-spin ] && mode=(--nonblocked)
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    listening "$port" || break
  done
  sockperf sr --tcp -i 127.0.0.1 -p "$port" "${mode[@]}" >"$OUT/logs/$setting-server.r$run.txt" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 100); do listening "$port" && break; sleep 0.05; done
  echo "sockperf sr --tcp -i 127.0.0.1 -p $port ${mode[*]}" >>"$COMMANDS"
  echo "sockperf pp --tcp -i 127.0.0.1 -p $port -m 64 -t $DURATION --full-rtt ${mode[*]}" >>"$COMMANDS"
  sockperf pp --tcp -i 127.0.0.1 -p "$port" -m 64 -t "$DURATION" --full-rtt "${mode[@]}" \
    >"$OUT/logs/$setting.r$run.txt" 2>&1
  stop_server
  sockperf_percentiles "$OUT/logs/$setting.r$run.txt" >"$OUT/logs/$setting.r$run.values"
}

run_tern() {
  local setting="$1" run="$2" loadgen_extra=()
  BROKER_EXTRA="--admin-port off"
  if [ "$setting" = tern-low-latency ]; then
    BROKER_EXTRA="$LOW_LATENCY_BROKER"
    read -r -a loadgen_extra <<<"$LOW_LATENCY_LOADGEN"
  fi
  start_server tern "$OUT/logs/$setting-server.r$run.txt"
  echo "java -jar broker/target/tern-broker.jar --port $SERVER_PORT $BROKER_EXTRA" >>"$COMMANDS"
  echo "java -jar loadgen/target/tern-loadgen.jar --port $SERVER_PORT ${LOADGEN_ARGS[*]} ${loadgen_extra[*]}" \
    >>"$COMMANDS"
  run_loadgen "$OUT/logs/$setting.r$run.txt" --port "$SERVER_PORT" "${LOADGEN_ARGS[@]}" "${loadgen_extra[@]}" ||
    log "round $run: the loadgen exited $? (see $OUT/logs/$setting.r$run.txt)"
  stop_server
  loadgen_percentiles "$OUT/logs/$setting.r$run.txt" >"$OUT/logs/$setting.r$run.values"
}

SETTINGS="sockperf-spin sockperf-block tern-low-latency tern-default"
START_DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq "$RUNS"); do
  for setting in $SETTINGS; do
    case "$setting" in
      sockperf-*) run_sockperf "$setting" "$run" ;;
      *) run_tern "$setting" "$run" ;;
    esac
    log "round $run/$RUNS: $setting p50 p99 p99.9 max (us): $(cat "$OUT/logs/$setting.r$run.values")"
  done
done

# Median over the rounds of each column, taken on its own.
median_values() { median_columns "$OUT"/logs/"$1".r*.values; }

{
  echo "| setting | what is measured | p50 us | p99 us | p99.9 us | max us |"
  echo "|---|---|--:|--:|--:|--:|"
  for setting in $SETTINGS; do
    case "$setting" in
      sockperf-spin) what="loopback round trip, both ends busy-polling" ;;
      sockperf-block) what="loopback round trip, blocking sockets" ;;
      tern-low-latency) what="one way through the broker: \`$LOW_LATENCY_BROKER\`, loadgen \`$LOW_LATENCY_LOADGEN\`" ;;
      tern-default) what="one way through the broker: defaults, default loadgen" ;;
    esac
    read -r p50 p99 p999 max <<<"$(median_values "$setting")"
    echo "| $setting | $what | $p50 | $p99 | $p999 | $max |"
  done
  echo
  read -r ll _ <<<"$(median_values tern-low-latency)"
  read -r rtt _ <<<"$(median_values sockperf-spin)"
  echo "tern-low-latency p50 / sockperf-spin p50 = $(awk -v a="$ll" -v b="$rtt" 'BEGIN { printf "%.2f", a / b }')" \
    "(median of $RUNS rounds each, ${DURATION} s measured per run; $START_DATE; $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average at the start $START_LOAD;" \
    "tern commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown);" \
    "$(sockperf --version 2>&1 | grep -m1 -i version | sed 's/\x1b\[[0-9;]*m//g' | sed 's/^sockperf: *//')." \
    "Exact commands: logs/commands.txt)"
} >"$OUT/results.md"

log "done: $OUT/results.md"
cat "$OUT/results.md"
