#!/usr/bin/env bash
# Cross-node benchmark on the loadgen: a three-node tern cluster against a three-node nats-server cluster on this
# machine, with one tern node as the baseline, interleaved round by round.
#
#   cluster/bench.sh [--runs N] [--warmup TIME] [--duration TIME] [--idle-peers N] [--cases "C ..."]
#                    [--baseline JAR] [--out DIR] [--no-build]
#
# Setups, each started afresh for its turn in a round and stopped after it, so only the one measured runs:
#   tern-single   one tern node (broker/target/tern-broker.jar)
#   tern-cluster  three tern nodes (cluster/target/tern-cluster.jar, --cluster-members on loopback)
#   nats-cluster  three nats-server nodes joined with --cluster/--routes
#   nats-single   one nats-server, nats-cluster's baseline as tern-single is tern-cluster's
#   tern-cluster-base  with --baseline JAR: three tern nodes of another build's cluster jar, to compare builds
# Cases, run by the loadgen (loadgen/target/tern-loadgen.jar) against each setup, with --nodes listing the three
# nodes of a cluster so that every message crosses nodes (a pair's sender on node i, its receiver on node i+1):
#   ping-pong     one pair, one 64-byte message in flight: latency (send to arrival, one way) with nothing queued
#   pairs-max     ten pairs, 16 messages of 64 bytes in flight each: the most messages per second
#   claims        --workload none --idle-peers N (default 2000), round-robin over the nodes: how fast names are
#                 registered (tern: a name claimed and a probe back, through the cluster's directory on a cluster;
#                 nats: CONNECT, SUB, PING)
# Rounds: the setups' order rotates from round to round (as loadgen/scripts/compare.sh does), so slow drift of a
# shared machine does not favour one. Prints each run as it ends, then per case and setup the median and the spread
# (min-max over the rounds) of p50, p90, p99, p99.9 (us), msg/s and the servers' CPU time per message (from /proc:
# user + system of every node's process over the run; the figure least disturbed by a busy machine, so the one to
# compare builds by), and the claims' peers/s; writes the same to
# OUT/results.md with the settings (OUT/settings.md), every run's JSON summary and histograms in OUT/runs, its output
# in OUT/logs. Run it on a quiet machine; needs nats-server on the PATH. Defaults: 3 rounds, 15 s warm-up, 8 s measured
# (about 15 minutes plus the build). The warm-up is long because a tern cluster is three JVMs compiling the same code
# on the same cores: with 2 s, a ping-pong across nodes was measured while the JIT compilers still took a third of a
# core, and its percentiles were those of the compilers more than the cluster's (docs/cluster.md has the runs).
#
# Ports (fixed, so the nodes can list each other): tern cluster nodes' admin endpoints ADMIN_PORTS (default 21320-21322,
# for their claim latency); clients CLIENT_PORTS (default 21300: tern-single 21300, tern-cluster
# 21301-21303, nats-single 21310, nats-cluster 21311-21313), tern cluster members UDP from CLUSTER_PORTS (default 21400, 10 apart), nats
# routes from ROUTE_PORTS (default 21501). Set them in the environment to move them. The defaults lie below Linux's
# ephemeral range (32768-60999): the loadgen's thousands of client connections take ports from that range, and a
# fixed port inside it was seen taken when a server came to bind it.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT=/tmp/cluster-bench
RUNS=3
WARMUP=15s
DURATION=8s
DRAIN=5s
IDLE=2000
BUILD=1
CLIENT_PORTS=${CLIENT_PORTS:-21300}
ADMIN_PORTS=${ADMIN_PORTS:-21320}
CLUSTER_PORTS=${CLUSTER_PORTS:-21400}
ROUTE_PORTS=${ROUTE_PORTS:-21501}
SETUPS="tern-single tern-cluster nats-single nats-cluster"
CASES="ping-pong pairs-max claims"

COMMON_OPTIONS="--out --runs --warmup --duration --no-build"
# shellcheck source=../loadgen/scripts/lib.sh
. "$ROOT/loadgen/scripts/lib.sh"
CLUSTER_JAR="$ROOT/cluster/target/tern-cluster.jar"
BASELINE_JAR=""

while [ $# -gt 0 ]; do
  case "$1" in
    --idle-peers) IDLE="$2"; shift 2
      [[ "$IDLE" =~ ^[1-9][0-9]*$ ]] || { echo "--idle-peers $IDLE: a whole number, at least 1" >&2; exit 2; } ;;
    --cases) CASES="$2"; shift 2
      for c in $CASES; do
        case "$c" in ping-pong|pairs-max|claims) ;; *) echo "--cases: no case '$c'" >&2; exit 2 ;; esac
      done ;;
    --baseline) BASELINE_JAR="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; SETUPS="$SETUPS tern-cluster-base"
      shift 2 ;;
    *) common_option "$@"; shift "$ARGS_TAKEN" ;;
  esac
done

case_args() {
  case "$1" in
    ping-pong) echo "--workload pairs --pairs 1 --load ping-pong --message-bytes 64 --warmup $WARMUP --duration $DURATION" ;;
    pairs-max) echo "--workload pairs --pairs 10 --load max --in-flight 16 --message-bytes 64 --warmup $WARMUP --duration $DURATION" ;;
    claims)    echo "--workload none --idle-peers $IDLE --connect-timeout 120s --duration 1s" ;;
  esac
}

# The client ports of a setup's nodes: setup_ports SETUP
setup_ports() {
  case "$1" in
    tern-single)  echo "$CLIENT_PORTS" ;;
    tern-cluster|tern-cluster-base) echo "$((CLIENT_PORTS + 1)) $((CLIENT_PORTS + 2)) $((CLIENT_PORTS + 3))" ;;
    nats-cluster) echo "$((CLIENT_PORTS + 11)) $((CLIENT_PORTS + 12)) $((CLIENT_PORTS + 13))" ;;
    nats-single)  echo "$((CLIENT_PORTS + 10))" ;;
  esac
}

# The loadgen's node options of a setup, from its ports: nodes_args SETUP
nodes_args() {
  local target=tern nodes="" port
  [[ "$1" == nats-* ]] && target=nats
  if [[ "$1" == *-single ]]; then
    echo "--target $target --port $(setup_ports "$1")"
    return
  fi
  for port in $(setup_ports "$1"); do nodes="${nodes:+$nodes,}127.0.0.1:$port"; done
  echo "--target $target --nodes $nodes"
}

MEMBERS="127.0.0.1:$CLUSTER_PORTS,127.0.0.1:$((CLUSTER_PORTS + 10)),127.0.0.1:$((CLUSTER_PORTS + 20))"
ROUTES="nats://127.0.0.1:$ROUTE_PORTS,nats://127.0.0.1:$((ROUTE_PORTS + 1)),nats://127.0.0.1:$((ROUTE_PORTS + 2))"

# The command lines that start a setup's servers, for the settings (NODE stands for 0, 1, 2).
setup_command() {
  case "$1" in
    tern-single)  echo "java${BROKER_JVM_OPTS:+ $BROKER_JVM_OPTS} -jar broker/target/tern-broker.jar --port $CLIENT_PORTS --admin-port off" ;;
    tern-cluster|tern-cluster-base) echo "java${BROKER_JVM_OPTS:+ $BROKER_JVM_OPTS} -jar $(cluster_jar "$1") --port $((CLIENT_PORTS + 1))+NODE --admin-port $ADMIN_PORTS+NODE --stats-interval-ms 0 --cluster-members $MEMBERS --cluster-node-id NODE --cluster-dir DIR/node-NODE" ;;
    nats-cluster) echo "nats-server -a 127.0.0.1 -p $((CLIENT_PORTS + 11))+NODE --cluster nats://127.0.0.1:$ROUTE_PORTS+NODE --routes $ROUTES" ;;
    nats-single)  echo "nats-server -a 127.0.0.1 -p $((CLIENT_PORTS + 10))" ;;
  esac
}

# The jar of a tern cluster setup: cluster_jar SETUP
cluster_jar() {
  if [ "$1" = tern-cluster-base ]; then echo "$BASELINE_JAR"; else echo "cluster/target/tern-cluster.jar"; fi
}

# Waits until FILE has COUNT lines matching PATTERN, up to 30 s: await_lines FILE PATTERN COUNT
await_lines() {
  for _ in $(seq 300); do
    [ "$(grep -c -- "$2" "$1" 2>/dev/null || true)" -ge "$3" ] && return 0
    sleep 0.1
  done
  echo "$1: no $3 line(s) '$2' within 30 s" >&2
  return 1
}

await_port() {
  for _ in $(seq 300); do listening "$1" && return 0; sleep 0.1; done
  echo "nothing listens on port $1 within 30 s" >&2
  return 1
}

# Starts a setup's servers, waits until they serve (a cluster: until every node joined, or has its routes), and sets
# SETUP_PIDS: start_setup SETUP ROUND
start_setup() {
  local setup="$1" round="$2" i port
  SETUP_PIDS=()
  for port in $(setup_ports "$setup"); do
    ! listening "$port" || { echo "port $port is taken: set CLIENT_PORTS (see --help)" >&2; return 1; }
  done
  case "$setup" in
    tern-single)
      # shellcheck disable=SC2086
      java $BROKER_JVM_OPTS -jar "$BROKER_JAR" --port "$CLIENT_PORTS" --admin-port off \
        >"$OUT/logs/$setup.r$round.log" 2>&1 &
      SETUP_PIDS+=($!); PIDS+=($!)
      await_port "$CLIENT_PORTS" ;;
    tern-cluster|tern-cluster-base)
      rm -rf "$OUT/cluster-dir"
      for i in 0 1 2; do
        # shellcheck disable=SC2086
        java $BROKER_JVM_OPTS -jar "$(cd "$ROOT" && realpath "$(cluster_jar "$setup")")" --port $((CLIENT_PORTS + 1 + i)) \
          --admin-port $((ADMIN_PORTS + i)) --stats-interval-ms 0 \
          --cluster-members "$MEMBERS" --cluster-node-id "$i" --cluster-dir "$OUT/cluster-dir/node-$i" \
          >"$OUT/logs/$setup-$i.r$round.log" 2>&1 &
        SETUP_PIDS+=($!); PIDS+=($!)
      done
      for i in 0 1 2; do
        await_port $((CLIENT_PORTS + 1 + i))
        await_lines "$OUT/logs/$setup-$i.r$round.log" "joined the directory" 1
      done ;;
    nats-single)
      nats-server -a 127.0.0.1 -p $((CLIENT_PORTS + 10)) >"$OUT/logs/$setup.r$round.log" 2>&1 &
      SETUP_PIDS+=($!); PIDS+=($!)
      await_port $((CLIENT_PORTS + 10)) ;;
    nats-cluster)
      for i in 0 1 2; do
        nats-server -a 127.0.0.1 -p $((CLIENT_PORTS + 11 + i)) --cluster "nats://127.0.0.1:$((ROUTE_PORTS + i))" \
          --routes "$ROUTES" >"$OUT/logs/$setup-$i.r$round.log" 2>&1 &
        SETUP_PIDS+=($!); PIDS+=($!)
      done
      for i in 0 1 2; do
        await_port $((CLIENT_PORTS + 11 + i))
        # Each node routes to the two others (its route to itself is dropped as a duplicate).
        await_lines "$OUT/logs/$setup-$i.r$round.log" "Route connection created" 2
      done ;;
  esac
}

# Each node's claim-to-answer latency (p50 p99, ms, every claim since the node started) from its admin endpoint's
# /clusterz, one line per node: claim_latency FILE
claim_latency() {
  local i body
  : >"$1"
  for i in 0 1 2; do
    body=$(curl -s --max-time 5 "http://127.0.0.1:$((ADMIN_PORTS + i))/clusterz" || true)
    echo "$body" | sed -n 's/.*"latency_ms":{"p50":\([0-9.]*\),"p99":\([0-9.]*\).*/\1 \2/p' >>"$1"
  done
}

# The CPU time (ms, user + system) the setup's server processes have used so far, from /proc: setup_cpu_ms
setup_cpu_ms() {
  local pid total=0 ticks
  for pid in "${SETUP_PIDS[@]}"; do
    # Fields 14 and 15 of /proc/PID/stat, counted after the command name (which may hold spaces).
    ticks=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || ticks=0
    total=$((total + ${ticks:-0}))
  done
  echo $((total * 1000 / CLK_TCK))
}

stop_setup() {
  local pid
  for pid in "${SETUP_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SETUP_PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget "$pid"
  done
  SETUP_PIDS=()
}

# ------------------------------------------------------------------------------------------- build

if [ "$BUILD" -eq 1 ]; then
  log "building the jars in $ROOT"
  (cd "$ROOT" && mvn -B -q -DskipTests package -pl broker,loadgen,cluster -am)
fi
for jar in "$BROKER_JAR" "$LOADGEN_JAR" "$CLUSTER_JAR" ${BASELINE_JAR:+"$BASELINE_JAR"}; do
  [ -f "$jar" ] || { echo "missing $jar (run without --no-build)" >&2; exit 1; }
done
command -v nats-server >/dev/null || { echo "needs nats-server on the PATH" >&2; exit 1; }
command -v curl >/dev/null || { echo "needs curl on the PATH (the claim latency from /clusterz)" >&2; exit 1; }
CLK_TCK=$(getconf CLK_TCK)

rm -rf "$OUT/runs" "$OUT/logs"
mkdir -p "$OUT/runs" "$OUT/logs"
COMMANDS="$OUT/logs/commands.txt"
: >"$COMMANDS"

# ------------------------------------------------------------------------------------------- the rounds

START_EPOCH=$(date +%s)
START_DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
failed=0
read -r -a setup_list <<<"$SETUPS"
for run in $(seq "$RUNS"); do
  read -r -a order <<<"$(rotated_targets "$run" "${setup_list[@]}")"
  for setup in "${order[@]}"; do
    start_setup "$setup" "$run"
    log "round $run/$RUNS: $setup serving"
    echo "# round $run: $(setup_command "$setup")" >>"$COMMANDS"
    for c in $CASES; do
      label="$c.$setup.r$run"
      # shellcheck disable=SC2046
      args=($(nodes_args "$setup") $(case_args "$c") --drain-timeout "$DRAIN" --quiet --out "$OUT/runs"
            --label "$label")
      echo "java -jar loadgen/target/tern-loadgen.jar ${args[*]}" >>"$COMMANDS"
      rc=0
      cpu_before=$(setup_cpu_ms)
      run_loadgen "$OUT/logs/$label.txt" "${args[@]}" || rc=$?
      echo $(( $(setup_cpu_ms) - cpu_before )) >"$OUT/runs/$label.cpu-ms"
      summary=$(grep -E '^(achieved|corrected|idle peers)' "$OUT/logs/$label.txt" | tr -s ' ' | tr '\n' ' ' |
        cut -c1-170 || true)
      log "  $label: exit $rc; servers' CPU $(cat "$OUT/runs/$label.cpu-ms") ms; $summary"
      [ "$rc" -eq 0 ] || failed=$((failed + 1))
      if [ "$c" = claims ] && [[ "$setup" == tern-cluster* ]]; then
        claim_latency "$OUT/runs/$label.claim-ms"
        log "  $label: claim to answer p50 p99 (ms) per node: $(tr '\n' ' ' <"$OUT/runs/$label.claim-ms")"
      fi
    done
    stop_setup
  done
done
ELAPSED=$(( $(date +%s) - START_EPOCH ))

# ------------------------------------------------------------------------------------------- summary

# The claims' registration rate: idle peers registered per second, from the JSON's idle-peers part.
claims_cell() {
  local f v
  for f in "$@"; do
    [ -f "$f" ] && [ "$(json_number "$f" exitCode)" = 0 ] || continue
    v=$(json_number "$f" registerPeersPerSecond)
    [ -n "$v" ] && echo "$v"
  done | median_min_max | awk '$1 == "-" { print "-"; next } { printf "%.0f (%.0f-%.0f)", $1, $2, $3 }'
}

# A column (1: p50, 2: p99) of the claim latencies of a setup's rounds: claim_cell COLUMN SETUP
claim_cell() {
  cat "$OUT/runs/claims.$2".r*.claim-ms 2>/dev/null | awk -v c="$1" '{ print $c }' | median_min_max |
    awk '$1 == "-" { print "-"; next } { printf "%.1f (%.1f-%.1f)", $1, $2, $3 }'
}

# The servers' CPU time per message delivered (per peer registered for claims), in us: "median (min-max)" over the
# clean runs of a case and setup: cpu_cell CASE SETUP
cpu_cell() {
  local f n
  for f in "$OUT/runs/$1.$2".r*.json; do
    [ -f "$f" ] && [ "$(json_number "$f" exitCode)" = 0 ] && [ -f "${f%.json}.cpu-ms" ] || continue
    if [ "$1" = claims ]; then n=$IDLE; else n=$(json_number "$f" received); fi
    [ -n "$n" ] && [ "$n" -gt 0 ] && awk -v ms="$(cat "${f%.json}.cpu-ms")" -v n="$n" 'BEGIN { print ms * 1000 / n }'
  done | median_min_max | awk '$1 == "-" { print "-"; next } { printf "%.1f (%.1f-%.1f)", $1, $2, $3 }'
}

{
  echo "# tern cluster vs nats-server cluster, across nodes"
  echo
  echo "Per case and setup: the median over the rounds, and in brackets the lowest and highest round. Latency in" \
    "microseconds from send to arrival (one way; closed loops, so from the send time); msg/s delivered. A cluster's" \
    "messages all cross nodes (a pair's sender on node i, its receiver on node i+1 of 3)."
  echo
  echo "Server CPU: the user and system time of the setup's server processes (every node) over the whole run," \
    "warm-up and registration included, per message delivered; less disturbed by other load than the rest, so the" \
    "column to compare builds by."
  echo
  if [[ " $CASES " == *" ping-pong "* || " $CASES " == *" pairs-max "* ]]; then
    echo "| case | setup | p50 µs | p90 µs | p99 µs | p99.9 µs | msg/s | server CPU µs/msg | clean runs |"
    echo "|---|---|--:|--:|--:|--:|--:|--:|--:|"
  fi
  for c in $CASES; do
    [ "$c" = claims ] && continue
    for s in $SETUPS; do
      files=("$OUT/runs/$c.$s".r*.json)
      echo "| $c | $s | $(median_spread p50 1 "${files[@]}") | $(median_spread p90 1 "${files[@]}") |" \
        "$(median_spread p99 1 "${files[@]}") | $(median_spread p99_9 1 "${files[@]}") |" \
        "$(median_spread achievedDeliveryRatePerSecond 0 "${files[@]}") | $(cpu_cell "$c" "$s") |" \
        "$(clean_runs "${files[@]}") of $RUNS |"
    done
  done
  if [[ " $CASES " == *" claims "* ]]; then
    echo
    echo "Claims: $IDLE named peers connected and registered, round-robin over the nodes, many at a time; peers/s:"
    echo
    echo "| setup | peers/s | server CPU µs/peer | clean runs |"
    echo "|---|--:|--:|--:|"
    for s in $SETUPS; do
      files=("$OUT/runs/claims.$s".r*.json)
      echo "| $s | $(claims_cell "${files[@]}") | $(cpu_cell claims "$s") | $(clean_runs "${files[@]}") of $RUNS |"
    done
    echo
    echo "Claim to answer through the directory (tern clusters; each node's /clusterz, every claim since it started):" \
      "median over the nodes and rounds, lowest-highest in brackets, ms:"
    echo
    echo "| setup | p50 | p99 |"
    echo "|---|--:|--:|"
    for s in $SETUPS; do
      [[ "$s" == tern-cluster* ]] || continue
      echo "| $s | $(claim_cell 1 "$s") | $(claim_cell 2 "$s") |"
    done
  fi
} >"$OUT/results.md"

{
  echo "## Settings"
  echo
  echo "- Rounds: $RUNS, $ELAPSED s in all; $failed of the runs exited non-zero (see the clean runs columns)."
  settings_lines "$START_DATE" "$START_LOAD" tern nats
  echo "- Setups, started afresh for each turn (the order rotates from round to round), with default settings:"
  for s in $SETUPS; do echo "  - $s: \`$(setup_command "$s")\`"; done
  echo "- Every loadgen run: \`java -jar loadgen/target/tern-loadgen.jar <setup's nodes> <case> --drain-timeout" \
    "$DRAIN --quiet --out DIR --label <case>.<setup>.r<round>\`, with for each setup's nodes and each case:"
  for s in $SETUPS; do echo "  - $s: \`$(nodes_args "$s")\`"; done
  for c in $CASES; do echo "  - \`$c\`: \`$(case_args "$c")\`"; done
  echo "- The exact command of every run is in \`logs/commands.txt\`, its output in \`logs/<label>.txt\`."
} >"$OUT/settings.md"

log "done in $ELAPSED s: $OUT/results.md, $OUT/settings.md"
cat "$OUT/results.md"
echo
cat "$OUT/settings.md"
[ "$failed" -eq 0 ]
