#!/usr/bin/env bash
# Cross-node benchmarks of a three-node tern cluster against a three-node nats-server cluster on this machine:
# ping-pong round trip, throughput and (tern) name-claim latency, with tern's single node as the baseline.
# Run on a quiet machine, after `mvn -B -pl cluster -am -DskipTests package`; needs nats-server on the PATH.
#   cluster/bench.sh [rounds] [throughput-messages] [message-bytes]
# Ports: 36300-36399 (clients), 36400-36499 (tern cluster, UDP), 36500-36599 (nats routes).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20000}
MESSAGES=${2:-500000}
BYTES=${3:-64}
build_log=$(mktemp)
if ! mvn -B -q -pl cluster -am package dependency:build-classpath -DskipTests \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >"$build_log" 2>&1; then
  cat "$build_log" >&2; exit 1
fi
rm -f "$build_log"
CP="cluster/target/test-classes:cluster/target/classes:$(cat cluster/target/bench.classpath)"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
JAVA_OPTS=(--add-exports java.base/jdk.internal.misc=ALL-UNNAMED)
bench() { java "${JAVA_OPTS[@]}" -cp "$CP" io.tern.cluster.bench.CrossNodeBench "$@" "$ROUNDS" "$MESSAGES" "$BYTES"; }
await_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 never opened" >&2; return 1; }

echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores; rounds=$ROUNDS messages=$MESSAGES bytes=$BYTES"

# tern, one node: the baseline.
java "${JAVA_OPTS[@]}" -jar broker/target/tern-broker.jar --port 36300 --admin-port off >"$WORK/single.log" 2>&1 &
PIDS+=($!)
await_port 36300
bench tern 127.0.0.1:36300 127.0.0.1:36300
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

# tern, three nodes.
M=127.0.0.1:36400,127.0.0.1:36410,127.0.0.1:36420
for i in 0 1 2; do
  java "${JAVA_OPTS[@]}" -jar cluster/target/tern-cluster.jar --port $((36301 + i)) --admin-port off \
    --cluster-members "$M" --cluster-node-id "$i" --cluster-dir "$WORK/node-$i" >"$WORK/node-$i.log" 2>&1 &
  PIDS+=($!)
done
for i in 0 1 2; do await_port $((36301 + i)); done
for _ in $(seq 150); do grep -q "joined the directory" "$WORK/node-0.log" && grep -q "joined the directory" "$WORK/node-1.log" && break; sleep 0.2; done
bench tern 127.0.0.1:36301 127.0.0.1:36302

# nats-server, three nodes with routes.
R=nats://127.0.0.1:36501,nats://127.0.0.1:36502,nats://127.0.0.1:36503
for i in 0 1 2; do
  nats-server -a 127.0.0.1 -p $((36311 + i)) --cluster nats://127.0.0.1:$((36501 + i)) --routes "$R" \
    >"$WORK/nats-$i.log" 2>&1 &
  PIDS+=($!)
done
for i in 0 1 2; do await_port $((36311 + i)); done
bench nats 127.0.0.1:36311 127.0.0.1:36312
