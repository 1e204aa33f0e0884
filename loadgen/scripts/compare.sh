#!/usr/bin/env bash
# Compares tern with nats-server (core NATS) and redis-server (pub/sub): the same loadgen workloads, payload checks
# and histograms against all three, on this machine, over loopback.
#
#   loadgen/scripts/compare.sh [--out DIR] [--runs N] [--warmup TIME] [--duration TIME] [--targets "tern nats redis"]
#                              [--cases "1-ping-pong 2-pairs-20k ..."] [--baseline JAR] [--idle-peers N] [--tls]
#                              [--no-build]
#
# Cases: 1-ping-pong, 2-pairs-20k, 3-pairs-100k, 4-pairs-max, 5-fanout-50 (the standard set, run by default), and
# 6-pairs-64b-1000 (64-byte messages, 1,000 in flight per pair: a deep pipeline) and 7-pairs-60000b (60,000-byte
# messages, 4 in flight per pair), the throughput cases of sizes.sh; see case_args below.
#
# --baseline JAR adds the target tern-baseline: that broker jar (another build of tern, e.g. the one before a change)
# run with the same settings, interleaved with the others, so a change is judged against the noise of one run.
# --idle-peers N adds the target tern-idle: this build of tern again, with every workload run beside N idle named
# peers that the same loadgen connects first (--idle-peers N --connect-timeout 120s; above 10,000 they come from
# 127.0.0.2 and up), so a full broker is judged against an empty one in the same run. The loadgen and the broker
# each need N + 100 open files (ulimit -n): at most about 19,000 where the limit is 20,000.
# TLS: a target tern-tls, nats-tls or redis-tls is that server with TLS on its client port (tern: --tls-port, with
# its plain --port unused; nats-server: --tls; redis-server: --tls-port, --port 0, --tls-auth-clients no) and the
# loadgen with --tls --tls-ca; --tls turns every target named into its TLS twin (tern -> tern-tls). Name both to see
# the cost of TLS itself: --targets "tern tern-tls nats nats-tls redis redis-tls". A throwaway CA and server
# certificate (EC P-256, for localhost and 127.0.0.1) are made with openssl in OUT/tls, and OUT/tls-cost.md gets,
# per case and target, the median and the spread (min-max over the rounds) of p50, p99, p99.9, msg/s and MB/s.
#
# What it does, in order:
#   1. installs nats-server and redis-server from the Debian packages if they are missing (apt-get, as root or sudo);
#   2. builds the broker and loadgen jars (mvn -B -q -DskipTests package) unless --no-build;
#   3. for each of RUNS rounds, for each target (the order rotates each round, so slow drift on a shared machine
#      does not favour one target), starts that server alone on a free loopback port with its default settings,
#      runs the standard set of workloads against it, and stops it;
#   4. writes OUT/results.md (per workload and target, the median over the rounds of p50, p99, p99.9 and max
#      latency in us and of delivered msg/s), OUT/<case>.png (the three latency distributions overlaid, one chart
#      per workload; the headline is OUT/2-pairs-20k.png), OUT/settings.md (machine, versions, the exact command of
#      every run) and OUT/README.md (both together).
# Every run's files (JSON summary, .hgrm, .hlog, PNG) are kept in OUT/runs, its output in OUT/logs. Whatever the
# script started is stopped when it exits, however it exits. With the defaults (3 rounds, 2 s warm-up, 8 s measured)
# it takes about 10 minutes, plus the build.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT=/tmp/compare
RUNS=3
WARMUP=2s
DURATION=8s
DRAIN=5s
TARGETS="tern nats redis"
CASES="1-ping-pong 2-pairs-20k 3-pairs-100k 4-pairs-max 5-fanout-50"
BUILD=1
TLS=0

COMMON_OPTIONS="--out --runs --warmup --duration --targets --baseline --no-build"
# shellcheck source=lib.sh
. "$ROOT/loadgen/scripts/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES="$2"; shift 2 ;;
    --tls) TLS=1; shift ;;
    --idle-peers) IDLE_PEERS="$2"; shift 2
      [[ "$IDLE_PEERS" =~ ^[1-9][0-9]*$ ]] || { echo "--idle-peers $IDLE_PEERS: a whole number, at least 1" >&2; exit 2; } ;;
    *) common_option "$@"; shift "$ARGS_TAKEN" ;;
  esac
done

# The loadgen settings of each workload. The standard set (1 to 5): 64-byte messages.
case_args() {
  case "$1" in
    1-ping-pong)  echo "--workload pairs --pairs 1 --load ping-pong --message-bytes 64" ;;
    2-pairs-20k)  echo "--workload pairs --pairs 10 --load open --rate 20000 --message-bytes 64" ;;
    3-pairs-100k) echo "--workload pairs --pairs 10 --load open --rate 100000 --message-bytes 64" ;;
    4-pairs-max)  echo "--workload pairs --pairs 10 --load max --in-flight 16 --message-bytes 64" ;;
    5-fanout-50)  echo "--workload fanout --senders 1 --fanout 50 --load open --rate 2000 --message-bytes 64" ;;
    6-pairs-64b-1000) echo "--workload pairs --pairs 10 --load max --in-flight 1000 --message-bytes 64" ;;
    7-pairs-60000b)   echo "--workload pairs --pairs 10 --load max --in-flight 4 --message-bytes 60000" ;;
    *) echo "unknown case: $1" >&2; return 1 ;;
  esac
}
for c in $CASES; do case_args "$c" >/dev/null; done
if [ "$TLS" -eq 1 ]; then
  tls_targets=""
  for t in $TARGETS; do
    case "$t" in
      tern|nats|redis) tls_targets="$tls_targets $t-tls" ;;
      *-tls) tls_targets="$tls_targets $t" ;;
      *) echo "--tls: target $t has no TLS twin (tern, nats, redis)" >&2; exit 2 ;;
    esac
  done
  TARGETS="${tls_targets# }"
fi
check_targets "$TARGETS"

# ------------------------------------------------------------------------------------------- 1. install, 2. build

install_packages nats-server:nats-server redis-server:redis-server
# shellcheck disable=SC2086
any_tls_target $TARGETS && install_packages openssl:openssl
build_jars "$BUILD"

# The broker's metrics endpoint, where it has one, is switched off: nothing else listens during the comparison.
BROKER_EXTRA=""
if java -jar "$BROKER_JAR" --help 2>&1 | grep -q -- '--admin-port'; then BROKER_EXTRA="--admin-port off"; fi

rm -rf "$OUT/runs" "$OUT/logs"
mkdir -p "$OUT/runs" "$OUT/logs"
COMMANDS="$OUT/logs/commands.txt"
: >"$COMMANDS"
# shellcheck disable=SC2086
if any_tls_target $TARGETS; then
  rm -rf "$OUT/tls"
  make_tls_certs "$OUT/tls"
  log "TLS: a throwaway CA and server certificate in $TLS_DIR"
fi

# ------------------------------------------------------------------------------------------- 3. the runs

START_EPOCH=$(date +%s)
START_DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
failed=0
read -r -a target_list <<<"$TARGETS"
for run in $(seq "$RUNS"); do
  read -r -a order <<<"$(rotated_targets "$run" "${target_list[@]}")"
  for target in "${order[@]}"; do
    start_server "$target" "$OUT/logs/$target-server.r$run.log"
    log "round $run/$RUNS: $target listening on 127.0.0.1:$SERVER_PORT (pid $SERVER_PID)"
    echo "# round $run: $(server_command "$target" | sed "s/PORT/$SERVER_PORT/")" >>"$COMMANDS"
    for c in $CASES; do
      label="$c.$target.r$run"
      # shellcheck disable=SC2046
      args=(--target "${target%%-*}" --port "$SERVER_PORT" $(target_loadgen_args "$target") $(case_args "$c")
            --warmup "$WARMUP" --duration "$DURATION" --drain-timeout "$DRAIN" --quiet
            --out "$OUT/runs" --label "$label")
      [ "$target" = tern-idle ] && args+=(--idle-peers "$IDLE_PEERS" --connect-timeout 120s)
      echo "java -jar loadgen/target/tern-loadgen.jar ${args[*]}" >>"$COMMANDS"
      rc=0
      run_loadgen "$OUT/logs/$label.txt" "${args[@]}" || rc=$?
      summary=$(grep -E '^(achieved|corrected)' "$OUT/logs/$label.txt" | tr -s ' ' | tr '\n' ' ' | cut -c1-150 || true)
      log "  $label: exit $rc; $summary"
      [ "$rc" -eq 0 ] || failed=$((failed + 1))
    done
    stop_server
  done
done
ELAPSED=$(( $(date +%s) - START_EPOCH ))

# ------------------------------------------------------------------------------------------- 4. table and charts

TITLE="tern vs nats-server vs redis-server"
# shellcheck disable=SC2086
any_tls_target $TARGETS && TITLE="tern, nats-server and redis-server, plain and over TLS"
java -jar "$LOADGEN_JAR" compare --title "$TITLE" --out "$OUT" "$OUT/runs" >"$OUT/logs/compare.txt"

{
  echo "## Settings"
  echo
  echo "- Date: $START_DATE; $RUNS rounds, $ELAPSED s in all; $failed of the runs exited non-zero" \
    "(see the runs column)."
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), \
$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), Linux $(uname -r); server and loadgen on the same machine, \
over loopback."
  echo "- Java: $(java -version 2>&1 | head -1); $(nats-server --version 2>&1 | head -1); \
$(redis-server --version 2>&1 | head -1 | cut -d' ' -f1-3)."
  echo "- Load average (1, 5, 15 min) at the start: $START_LOAD; at the end: $(cut -d' ' -f1-3 /proc/loadavg)." \
    "Anything near or above the core count means other processes shared the CPU and the numbers are noisy."
  echo "- tern: commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)\
$(cd "$ROOT" && [ -n "$(git status --porcelain 2>/dev/null)" ] && echo ' (with uncommitted changes)')."
  echo "- Servers, each with its default settings, one at a time (only the one under test runs), started afresh" \
    "each round (the order of the targets rotates from round to round); PORT is a free loopback port:"
  for t in $TARGETS; do echo "  - $t: \`$(server_command "$t")\`"; done
  echo "- Every loadgen run: \`java -jar loadgen/target/tern-loadgen.jar --target T --port PORT <workload>" \
    "--warmup $WARMUP --duration $DURATION --drain-timeout $DRAIN --quiet --out DIR" \
    "--label <workload>.<T>.r<round>\`, with for each workload:"
  for c in $CASES; do echo "  - \`$c\`: \`$(case_args "$c")\`"; done
  # shellcheck disable=SC2086
  any_tls_target $TARGETS && echo "- A -tls target T-tls is server T with TLS (its command above, certificates" \
    "from a throwaway CA made with openssl in \`tls/\`: EC P-256, TLSv1.3 as negotiated), and its loadgen runs" \
    "add \`--tls --tls-ca tls/ca.crt\`."
  [ -n "${IDLE_PEERS:-}" ] && echo "- tern-idle: tern again, every run with \`--idle-peers $IDLE_PEERS" \
    "--connect-timeout 120s\` added: $IDLE_PEERS idle named peers connected by the same loadgen before the workload."
  echo "- The exact command of every run is in \`logs/commands.txt\`, its output in \`logs/<label>.txt\`."
} >"$OUT/settings.md"

# shellcheck disable=SC2086
if any_tls_target $TARGETS; then
  # Per case and target: the median and the spread over the rounds, from each run's JSON summary.
  cell() { # cell CASE TARGET FIELD DECIMALS: "median (min-max)" of that number over the clean runs
    median_spread "$3" "$4" "$OUT/runs/$1.$2".r*.json
  }
  {
    echo "# What TLS costs"
    echo
    echo "Per case and target: the median over the rounds, and in brackets the lowest and highest round. Latency" \
      "in microseconds, corrected (from the due time for the open loop, from the send time for closed loops);" \
      "msg/s delivered; MB/s of message text delivered (10^6 bytes). A -tls target is the same server over TLS."
    echo
    echo "| case | target | p50 µs | p99 µs | p99.9 µs | msg/s | MB/s | clean runs |"
    echo "|---|---|--:|--:|--:|--:|--:|--:|"
    for c in $CASES; do
      for t in $TARGETS; do
        ok=$(clean_runs "$OUT/runs/$c.$t".r*.json)
        echo "| $c | $t | $(cell "$c" "$t" p50 1) | $(cell "$c" "$t" p99 1) | $(cell "$c" "$t" p99_9 1) |" \
          "$(cell "$c" "$t" achievedDeliveryRatePerSecond 0) | $(cell "$c" "$t" payloadMegabytesPerSecond 1) |" \
          "$ok of $RUNS |"
      done
    done
    echo
    cat "$OUT/settings.md"
  } >"$OUT/tls-cost.md"
fi

{
  echo "# $TITLE"
  echo
  cat "$OUT/results.md"
  echo
  echo "![latency by percentile, 2-pairs-20k](2-pairs-20k.png)"
  echo
  cat "$OUT/settings.md"
} >"$OUT/README.md"

log "done in $ELAPSED s: $OUT/README.md, $OUT/results.md, charts $OUT/*.png"
cat "$OUT/results.md"
[ -f "$OUT/tls-cost.md" ] && { log "the cost of TLS: $OUT/tls-cost.md"; cat "$OUT/tls-cost.md"; }
true
