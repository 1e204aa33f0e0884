# Shell helpers shared by the benchmark scripts in this folder (compare.sh, low-latency.sh). Sourced, not run.
# Expects ROOT (the repository) to be set; defines BROKER_JAR, LOADGEN_JAR, BROKER_EXTRA (the broker's extra
# options) and BROKER_JVM_OPTS (its JVM's), both empty by default; starts and stops servers, and stops whatever it
# started when the script exits.

BROKER_JAR="$ROOT/broker/target/tern-broker.jar"
# Another build of the broker, run as target tern-baseline beside tern (compare.sh --baseline JAR).
BASELINE_JAR="${BASELINE_JAR:-}"
LOADGEN_JAR="$ROOT/loadgen/target/tern-loadgen.jar"
BROKER_EXTRA="${BROKER_EXTRA:-}"
BROKER_JVM_OPTS="${BROKER_JVM_OPTS:-}"

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# ------------------------------------------------------------------------------------------- servers we start

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts a target's server on a free loopback port; sets SERVER_PID and SERVER_PORT. A port is free when nothing
# answers on it; if another process takes it before the server binds, the server exits and another port is tried.
start_server() {
  local target="$1" logfile="$2" attempt port
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    listening "$port" && continue
    case "$target" in
      tern)  java $BROKER_JVM_OPTS -jar "$BROKER_JAR" --port "$port" $BROKER_EXTRA >"$logfile" 2>&1 & ;;
      tern-baseline)
             java $BROKER_JVM_OPTS -jar "$BASELINE_JAR" --port "$port" $BROKER_EXTRA >"$logfile" 2>&1 & ;;
      nats)  nats-server -a 127.0.0.1 -p "$port" >"$logfile" 2>&1 & ;;
      redis) redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
               >"$logfile" 2>&1 & ;;
    esac
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 200); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      if listening "$port"; then SERVER_PORT=$port; return 0; fi
      sleep 0.05
    done
    stop_server
  done
  echo "could not start $target (see $logfile)" >&2
  return 1
}

stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  forget "$SERVER_PID"
}

# Drops a process that has ended from the ones the cleanup stops.
forget() {
  local kept=() pid
  for pid in "${PIDS[@]:-}"; do [ -z "$pid" ] || [ "$pid" = "$1" ] || kept+=("$pid"); done
  PIDS=("${kept[@]:-}")
}

# Runs the loadgen with its output in LOGFILE and returns its exit code: run_loadgen LOGFILE ARGS... It runs in the
# background and is waited for, so that Ctrl-C or a TERM stops the script (and the cleanup stops the loadgen and the
# server) at once, not after this run.
run_loadgen() {
  local logfile="$1" pid rc=0
  shift
  java -jar "$LOADGEN_JAR" "$@" >"$logfile" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait "$pid" || rc=$?
  forget "$pid"
  return "$rc"
}

# Installs the Debian packages named, if their commands are missing: install_packages COMMAND:PACKAGE ...
install_packages() {
  local missing=() spec
  for spec in "$@"; do command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}"); done
  [ "${#missing[@]}" -gt 0 ] || return 0
  log "installing ${missing[*]} from the Debian packages"
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "need root or sudo to install ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 1
  fi
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# Prints a duration given as N or Ns in whole seconds, or exits with a usage error naming the option.
whole_seconds() {
  local option="$1" value="$2"
  [[ "$value" =~ ^[0-9]+s?$ ]] || { echo "$option $value: whole seconds, e.g. 10 or 10s" >&2; exit 2; }
  echo "${value%s}"
}

# Prints "p50 p99 p99.9 max" (us) of a loadgen summary: its corrected line (for ping-pong, from the send time).
loadgen_percentiles() {
  awk '$1 ~ /^corrected/ { print $2, $4, $5, $7; found = 1 } END { exit !found }' "$1"
}

# Prints, for each of the four columns of the files given, the median over the files (one row each).
median_columns() {
  local col
  for col in 1 2 3 4; do
    cat "$@" | awk -v c="$col" '{ print $c }' | sort -g |
      awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m }'
    [ "$col" -lt 4 ] && printf ' '
  done
  echo
}

# Builds the jars unless told not to (build_jars 0), then checks they are there.
build_jars() {
  if [ "${1:-1}" -eq 1 ]; then
    log "building the jars in $ROOT"
    (cd "$ROOT" && mvn -B -q -DskipTests package)
  fi
  [ -f "$BROKER_JAR" ] && [ -f "$LOADGEN_JAR" ] || { echo "missing $BROKER_JAR or $LOADGEN_JAR" >&2; exit 1; }
}
