#!/usr/bin/env bash
# Throughput with bigger messages and deep pipelines: tern, nats-server and redis-server, as fast as each delivers
# with a window of messages in flight per pair.
#
#   loadgen/scripts/sizes.sh [--runs R] [--targets "tern nats redis"] [--cases "512b 4k 60000b 64b-1000"]
#                            [--warmup TIME] [--duration TIME] [--out DIR] [--baseline JAR] [--no-build]
#
# Cases, all 10 sender/receiver pairs at maximum throughput (--workload pairs --pairs 10 --load max):
#   512b      512-byte messages, 256 in flight per pair
#   4k        4096-byte messages, 64 in flight per pair
#   60000b    60,000-byte messages, 4 in flight per pair (tern's line is 'dest: text', within its default
#             max-line-bytes of 65536)
#   64b-1000  64-byte messages, 1,000 in flight per pair: a deep pipeline
# What it does, in order:
#   1. installs nats-server and redis-server from the Debian packages if they are missing (apt-get, as root or sudo);
#   2. builds the broker and loadgen jars (mvn -B -q -DskipTests package) unless --no-build;
#   3. for each of R rounds (default 3), for each target (the order rotates each round, so slow drift on a shared
#      machine does not favour one target), starts that server alone on a free loopback port with its default
#      settings (tern: --admin-port off, plus whatever the environment variable BROKER_EXTRA holds, e.g.
#      BROKER_EXTRA="--threading dedicated"), runs every case against it, and stops it;
#   4. writes OUT/results.md: per case and target, the median over the rounds (min-max in brackets) of the MB/s of
#      message text delivered (10^6 bytes; framing and names not counted) and of the messages delivered per second,
#      then the settings (date, machine, versions, the exact command of every run).
# A run that loses, duplicates or corrupts a message, or whose server cuts a receiver as a slow consumer, exits
# non-zero; it is left out of the medians and counted in the runs column. Every run's JSON summary and histograms
# are kept in OUT/runs, its output in OUT/logs. With the defaults (3 rounds, 2 s warm-up, 8 s measured) it takes
# about 7 minutes, plus the build.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT=/tmp/sizes
RUNS=3
WARMUP=2s
DURATION=8s
DRAIN=5s
TARGETS="tern nats redis"
CASES="512b 4k 60000b 64b-1000"
BUILD=1

COMMON_OPTIONS="--out --runs --targets --warmup --duration --no-build --baseline"
# shellcheck source=lib.sh
. "$ROOT/loadgen/scripts/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES="$2"; shift 2 ;;
    *) common_option "$@"; shift "$ARGS_TAKEN" ;;
  esac
done

# The loadgen settings of each case.
case_args() {
  case "$1" in
    512b)     echo "--message-bytes 512 --in-flight 256" ;;
    4k)       echo "--message-bytes 4096 --in-flight 64" ;;
    60000b)   echo "--message-bytes 60000 --in-flight 4" ;;
    64b-1000) echo "--message-bytes 64 --in-flight 1000" ;;
    *) echo "unknown case: $1 (512b, 4k, 60000b, 64b-1000)" >&2; return 1 ;;
  esac
}
for c in $CASES; do case_args "$c" >/dev/null || exit 2; done
check_targets "$TARGETS"

install_packages nats-server:nats-server redis-server:redis-server
build_jars "$BUILD"
BROKER_EXTRA="--admin-port off${BROKER_EXTRA:+ $BROKER_EXTRA}"

rm -rf "$OUT/runs" "$OUT/logs"
mkdir -p "$OUT/runs" "$OUT/logs"
COMMANDS="$OUT/logs/commands.txt"
ROUNDS="$OUT/logs/rounds.tsv" # case target round MB/s msg/s
: >"$COMMANDS"
: >"$ROUNDS"

START_EPOCH=$(date +%s)
START_DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
failed=0
read -r -a target_list <<<"$TARGETS"
for run in $(seq "$RUNS"); do
  for target in $(rotated_targets "$run" "${target_list[@]}"); do
    start_server "$target" "$OUT/logs/$target-server.r$run.log"
    log "round $run/$RUNS: $target listening on 127.0.0.1:$SERVER_PORT (pid $SERVER_PID)"
    echo "# round $run: $(server_command "$target" | sed "s/PORT/$SERVER_PORT/")" >>"$COMMANDS"
    for c in $CASES; do
      label="$c.$target.r$run"
      # shellcheck disable=SC2046
      args=(--target "${target%%-*}" --port "$SERVER_PORT" --workload pairs --pairs 10 --load max $(case_args "$c")
            --warmup "$WARMUP" --duration "$DURATION" --drain-timeout "$DRAIN" --quiet --out "$OUT/runs"
            --label "$label")
      echo "java -jar loadgen/target/tern-loadgen.jar ${args[*]}" >>"$COMMANDS"
      rc=0
      run_loadgen "$OUT/logs/$label.txt" "${args[@]}" || rc=$?
      if [ "$rc" -ne 0 ]; then
        failed=$((failed + 1))
        log "  $label: FAILED (exit $rc; see $OUT/logs/$label.txt)"
        grep -E '^(FAILED|counts|problem|WARNING)' "$OUT/logs/$label.txt" | head -4 || true
        continue
      fi
      mbs=$(json_number "$OUT/runs/$label.json" payloadMegabytesPerSecond)
      msgs=$(json_number "$OUT/runs/$label.json" achievedDeliveryRatePerSecond)
      printf '%s\t%s\t%s\t%s\t%s\n' "$c" "$target" "$run" "$mbs" "$msgs" >>"$ROUNDS"
      log "  $label: $mbs MB/s, $msgs msg/s"
    done
    stop_server
  done
done
ELAPSED=$(( $(date +%s) - START_EPOCH ))

# ------------------------------------------------------------------------------------------- the table

column_of() { awk -F'\t' -v c="$1" -v t="$2" -v k="$3" '$1 == c && $2 == t { print $k }' "$ROUNDS"; }
num() { [ "$1" = - ] && echo - || awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v }'; }
{
  echo "# Throughput by message size and window"
  echo
  echo "10 pairs at maximum throughput, a window of messages in flight per pair. MB/s: 10^6 bytes of message" \
    "text delivered per second (names and framing not counted). Median over the rounds (min-max in brackets)."
  echo
  echo "| case | message bytes | in flight per pair | target | MB/s | msg/s | runs ok |"
  echo "|---|---:|---:|---|---:|---:|---:|"
  for c in $CASES; do
    read -r _ bytes _ window <<<"$(case_args "$c")"
    for t in $TARGETS; do
      read -r mb_med mb_min mb_max <<<"$(column_of "$c" "$t" 4 | median_min_max)"
      read -r msg_med msg_min msg_max <<<"$(column_of "$c" "$t" 5 | median_min_max)"
      ok=$(column_of "$c" "$t" 1 | wc -l)
      echo "| $c | $bytes | $window | $t | $(num "$mb_med" 1) ($(num "$mb_min" 1)-$(num "$mb_max" 1)) |" \
        "$(num "$msg_med" 0) ($(num "$msg_min" 0)-$(num "$msg_max" 0)) | $ok of $RUNS |"
    done
  done
  echo
  echo "## Settings"
  echo
  settings_lines "$START_DATE" "$START_LOAD" $TARGETS
  echo "- $RUNS rounds, $ELAPSED s in all; $failed run(s) exited non-zero and are left out (see logs/)."
  echo "- Servers, each with its default settings, one at a time (only the one under test runs), started afresh" \
    "each round (the order of the targets rotates); PORT is a free loopback port:"
  for t in $TARGETS; do echo "  - $t: \`$(server_command "$t")\`"; done
  echo "- Every loadgen run: \`java -jar loadgen/target/tern-loadgen.jar --target T --port PORT --workload pairs" \
    "--pairs 10 --load max <case> --warmup $WARMUP --duration $DURATION --drain-timeout $DRAIN --quiet --out DIR" \
    "--label <case>.<T>.r<round>\`, with for each case:"
  for c in $CASES; do echo "  - \`$c\`: \`$(case_args "$c")\`"; done
  echo "- The exact command of every run is in \`logs/commands.txt\`, its output in \`logs/<label>.txt\`, each" \
    "run's numbers in \`logs/rounds.tsv\`."
} >"$OUT/results.md"

log "done in $ELAPSED s: $OUT/results.md"
cat "$OUT/results.md"
[ "$failed" -eq 0 ]
