#!/usr/bin/env bash
# Redraws the charts the docs show from the run files kept in loadgen/docs/data/, with the loadgen's current `plot`
# and `compare`: no new run, so the numbers stay those of the runs the docs describe.
#
#   loadgen/scripts/charts.sh [--no-build]
#
# From loadgen/docs/data/2026-12-03-quiet/ (the quiet 3-round run of 2026-12-03 15:50 UTC in docs/benchmarks.md,
# workload 2-pairs-20k, the plain targets tern, nats and redis: every round's summary and corrected .hgrm, and the
# .hgrm files and .hlog of tern's round 3, the one whose p99 is the median):
#   loadgen/docs/compare-2-pairs-20k.png    the three targets by percentile, the round whose p99 is the median each
#   loadgen/docs/pairs-20k.png              tern's round 3 by percentile: corrected, uncorrected, send lag
#   loadgen/docs/pairs-20k-over-time.png    tern's round 3 over time: p50, p99 and max of each second
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT=/tmp/charts
BUILD=1
COMMON_OPTIONS="--no-build"
# shellcheck source=lib.sh
. "$ROOT/loadgen/scripts/lib.sh"

while [ $# -gt 0 ]; do
  common_option "$@"; shift "$ARGS_TAKEN"
done

build_jars "$BUILD"

DATA="$ROOT/loadgen/docs/data/2026-12-03-quiet"
DOCS="$ROOT/loadgen/docs"
RUN="2-pairs-20k.tern.r3"
SETTINGS="pairs: 10 senders -> 10 receivers, one each (20 peers), 64-byte messages, open loop 20,000 msg/s, 2026-12-03 15:50 UTC"

rm -rf "$OUT" && mkdir -p "$OUT"
java -jar "$LOADGEN_JAR" compare --out "$OUT" "$DATA" >/dev/null
cp "$OUT/2-pairs-20k.png" "$DOCS/compare-2-pairs-20k.png"

java -jar "$LOADGEN_JAR" plot --out "$DOCS/pairs-20k.png" \
  --title "latency by percentile: $RUN (tern)" --subtitle "$SETTINGS" \
  "corrected (from due time)=$DATA/$RUN.corrected.hgrm" \
  "uncorrected (from send time)=$DATA/$RUN.uncorrected.hgrm" \
  "send lag=$DATA/$RUN.send-lag.hgrm"

java -jar "$LOADGEN_JAR" plot --out "$DOCS/pairs-20k-over-time.png" \
  --title "corrected latency over time: $RUN (tern), p50, p99 and max per second" --subtitle "$SETTINGS; warm-up 3 s, then 5 s measured" \
  "$DATA/$RUN.hlog"
log "redrawn: $DOCS/compare-2-pairs-20k.png, $DOCS/pairs-20k.png, $DOCS/pairs-20k-over-time.png"
