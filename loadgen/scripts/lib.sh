# Shell helpers shared by the benchmark scripts in this folder (compare.sh, memory.sh, sizes.sh, ...). Sourced, not
# run. Expects ROOT (the repository) to be set; defines BROKER_JAR, LOADGEN_JAR, BROKER_EXTRA (the broker's extra
# options), BROKER_JVM_OPTS (its JVM's), NATS_EXTRA and REDIS_EXTRA (nats-server's and redis-server's extra
# options), all empty by default; parses the options the scripts share, starts and stops servers, and stops whatever
# it started when the script exits.
#
# TLS twins: a target named <server>-tls (tern-tls, nats-tls, redis-tls) is the same server with TLS on its client
# port, made with a throwaway CA and server certificate (make_tls_certs, in TLS_DIR); the loadgen then runs with
# --tls --tls-ca TLS_DIR/ca.crt. tern-tls keeps its plain --port too (unused) and takes clients on --tls-port.
# SERVER_PORTS="MIN-MAX" (default 20000-59999) is the range servers are started in.

BROKER_JAR="$ROOT/broker/target/tern-broker.jar"
# Another build of the broker, run as target tern-baseline beside tern (compare.sh --baseline JAR).
BASELINE_JAR="${BASELINE_JAR:-}"
LOADGEN_JAR="$ROOT/loadgen/target/tern-loadgen.jar"
BROKER_EXTRA="${BROKER_EXTRA:-}"
BROKER_JVM_OPTS="${BROKER_JVM_OPTS:-}"
NATS_EXTRA="${NATS_EXTRA:-}"
REDIS_EXTRA="${REDIS_EXTRA:-}"
# Where make_tls_certs puts the CA and server certificate the -tls targets use (set it before calling that).
TLS_DIR="${TLS_DIR:-}"
SERVER_PORTS="${SERVER_PORTS:-20000-59999}"

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# ------------------------------------------------------------------------------------------- shared options

# Parses one of the options the scripts share, setting its variable: --out DIR (OUT), --runs N (RUNS), --targets
# "LIST" (TARGETS), --warmup TIME (WARMUP), --duration TIME (DURATION), --no-build (BUILD=0), -h/--help (prints the
# script's leading comment and exits). Sets ARGS_TAKEN to the words it took; anything else is a usage error (exit 2),
# and so is one of these that is not in COMMON_OPTIONS when the script sets it (e.g. COMMON_OPTIONS="--out
# --no-build"). Use as the last case of a script's own loop:
#   while [ $# -gt 0 ]; do case "$1" in --peers) PEERS="$2"; shift 2 ;; *) common_option "$@"; shift "$ARGS_TAKEN" ;;
#   esac; done
common_option() {
  if [ -n "${COMMON_OPTIONS:-}" ] && [ "$1" != -h ] && [ "$1" != --help ]; then
    case " $COMMON_OPTIONS " in *" $1 "*) ;; *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;; esac
  fi
  case "$1" in
    --out|--runs|--targets|--warmup|--duration|--baseline)
      [ $# -ge 2 ] || { echo "$1 needs a value (see --help)" >&2; exit 2; } ;;
  esac
  ARGS_TAKEN=2
  case "$1" in
    --out) OUT="$2" ;;
    --runs) RUNS="$2"; [[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "--runs $RUNS: a whole number, at least 1" >&2; exit 2; } ;;
    --targets) TARGETS="$2" ;;
    --warmup) WARMUP="$2" ;;
    --duration) DURATION="$2" ;;
    --baseline) BASELINE_JAR="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")" ;;
    --no-build) BUILD=0; ARGS_TAKEN=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
}

# Checks that every target named is one the scripts can start, and adds tern-baseline to TARGETS when --baseline JAR
# was given: check_targets "$TARGETS". The loadgen runs a target tern-baseline as tern (--target "${target%%-*}").
check_targets() {
  local t
  if [ -n "${BASELINE_JAR:-}" ]; then
    [ -f "$BASELINE_JAR" ] || { echo "--baseline $BASELINE_JAR: no such file" >&2; exit 2; }
    case " $TARGETS " in *" tern-baseline "*) ;; *) TARGETS="$TARGETS tern-baseline" ;; esac
  fi
  if [ -n "${IDLE_PEERS:-}" ]; then
    case " $TARGETS " in *" tern-idle "*) ;; *) TARGETS="$TARGETS tern-idle" ;; esac
  fi
  for t in $TARGETS; do
    case "$t" in
      tern|nats|redis|tern-tls|nats-tls|redis-tls) ;;
      tern-baseline) [ -n "${BASELINE_JAR:-}" ] || { echo "target tern-baseline needs --baseline JAR" >&2; exit 2; } ;;
      tern-idle) [ -n "${IDLE_PEERS:-}" ] || { echo "target tern-idle needs --idle-peers N" >&2; exit 2; } ;;
      *) echo "unknown target: $t (tern, nats, redis, tern-tls, nats-tls, redis-tls)" >&2; exit 2 ;;
    esac
  done
}

# Prints the targets in the order of round R (1, 2, ...): rotated by one each round, so that slow drift on a shared
# machine does not favour one target. rotated_targets R TARGET...
rotated_targets() {
  local round="$1" i n
  shift
  n=$#
  local list=("$@")
  for i in $(seq 0 $((n - 1))); do printf '%s ' "${list[$(((i + round - 1) % n))]}"; done
  echo
}

# The command line that starts a target's server, for the settings (PORT stands for the port chosen; tern-tls also
# listens, unused, on the plain port PLAIN).
server_command() {
  case "$1" in
    tern|tern-idle) echo "java${BROKER_JVM_OPTS:+ $BROKER_JVM_OPTS} -jar broker/target/tern-broker.jar --port PORT${BROKER_EXTRA:+ $BROKER_EXTRA}" ;;
    tern-baseline) echo "java${BROKER_JVM_OPTS:+ $BROKER_JVM_OPTS} -jar $BASELINE_JAR --port PORT${BROKER_EXTRA:+ $BROKER_EXTRA}" ;;
    tern-tls) echo "java${BROKER_JVM_OPTS:+ $BROKER_JVM_OPTS} -jar broker/target/tern-broker.jar --port PLAIN --tls-port PORT --tls-cert server.crt --tls-key server.key${BROKER_EXTRA:+ $BROKER_EXTRA}" ;;
    nats)  echo "nats-server -a 127.0.0.1 -p PORT${NATS_EXTRA:+ $NATS_EXTRA}" ;;
    nats-tls) echo "nats-server -a 127.0.0.1 -p PORT --tls --tlscert server.crt --tlskey server.key${NATS_EXTRA:+ $NATS_EXTRA}" ;;
    redis) echo "redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize no${REDIS_EXTRA:+ $REDIS_EXTRA}" ;;
    redis-tls) echo "redis-server --port 0 --tls-port PORT --tls-cert-file server.crt --tls-key-file server.key --tls-ca-cert-file ca.crt --tls-auth-clients no --bind 127.0.0.1 --save '' --appendonly no --daemonize no${REDIS_EXTRA:+ $REDIS_EXTRA}" ;;
  esac
}

# The loadgen options that a target needs beyond --target and --port: --tls and the CA for a -tls target.
target_loadgen_args() {
  case "$1" in
    *-tls) echo "--tls --tls-ca $TLS_DIR/ca.crt" ;;
  esac
}

# Makes a throwaway CA and a server certificate for localhost and 127.0.0.1, signed by it, in DIR (EC P-256 keys,
# unencrypted PKCS#8 PEM, valid 2 days): DIR/ca.crt, DIR/server.crt, DIR/server.key. Sets TLS_DIR. For benchmarks and
# tests only: the keys are written unprotected. make_tls_certs DIR
make_tls_certs() {
  local dir="$1"
  mkdir -p "$dir"
  # (&& throughout: set -e does not apply inside a command whose failure is tested.)
  (
    cd "$dir" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=tern benchmark CA" \
      -keyout ca.key -out ca.crt 2>/dev/null &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
      -keyout server.key -out server.csr 2>/dev/null &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext \
      -out server.crt 2>/dev/null &&
    rm -f server.csr server.ext ca.srl
  ) || { echo "could not make the TLS certificates in $dir with openssl" >&2; exit 1; }
  TLS_DIR="$(cd "$dir" && pwd)"
}

# True when any of the targets named is a -tls one: any_tls_target TARGET...
any_tls_target() {
  local t
  for t in "$@"; do case "$t" in *-tls) return 0 ;; esac; done
  return 1
}

# The version of a target's server, one line.
server_version() {
  case "$1" in
    tern-baseline) echo "the jar $BASELINE_JAR (built $(date -u -r "$BASELINE_JAR" '+%Y-%m-%d %H:%M UTC')), \
$(java -version 2>&1 | head -1)" ;;
    tern|tern-idle|tern-tls) echo "tern commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)\
$(cd "$ROOT" && [ -n "$(git status --porcelain 2>/dev/null)" ] && echo ' (with uncommitted changes)'), \
$(java -version 2>&1 | head -1)" ;;
    nats|nats-tls)  nats-server --version 2>&1 | head -1 ;;
    redis|redis-tls) redis-server --version 2>&1 | head -1 | cut -d' ' -f1-3 ;;
  esac
}

# Prints the settings lines every result file starts with: date, machine, versions, load average. Call it at the end
# with START_DATE and START_LOAD taken at the start: settings_lines "$START_DATE" "$START_LOAD" TARGET...
settings_lines() {
  local start_date="$1" start_load="$2" t
  shift 2
  echo "- Date: $start_date."
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), \
$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), Linux $(uname -r); open files allowed: $(ulimit -n); \
server and loadgen on the same machine, over loopback."
  echo "- Versions: $(for t in "$@"; do printf '%s: %s; ' "$t" "$(server_version "$t")"; done | sed 's/; $//')."
  echo "- Load average (1, 5, 15 min) at the start: $start_load; at the end: $(cut -d' ' -f1-3 /proc/loadavg)." \
    "Anything near or above the core count means other processes shared the CPU and the numbers are noisy."
}

# Prints the median, the minimum and the maximum of the numbers on standard input (one a line) as "median min max",
# or "- - -" when there are none.
median_min_max() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- - -"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m, v[1], v[NR] }'
}

# Prints the value of a numeric field of a loadgen JSON summary, found by its name anywhere: json_number FILE NAME.
json_number() {
  awk -v key="\"$2\"" '$1 == key ":" { gsub(/[ ,]/, "", $2); print $2; exit }' "$1"
}

# Prints a percentile (us) of the corrected latency of a loadgen JSON summary (for closed loops, from the send time):
# json_latency FILE p50|p90|p99|p99_9|p99_99.
json_latency() {
  awk -v key="\"$2\":" '/"corrected": *\{/ { inside = 1 } inside && $1 == key { gsub(/[ ,]/, "", $2); print $2; exit }' "$1"
}

# Prints "median (min-max)" of one number over the clean runs (exit code 0) among the loadgen JSON summaries given,
# with DECIMALS decimals, or "-" when there is none: median_spread FIELD DECIMALS FILE... FIELD is a percentile key of
# json_latency (p50, p90, p99, p99_9) or any numeric field of json_number (achievedDeliveryRatePerSecond, ...).
median_spread() {
  local field="$1" decimals="$2" f v
  shift 2
  for f in "$@"; do
    [ -f "$f" ] && [ "$(json_number "$f" exitCode)" = 0 ] || continue
    case "$field" in
      p50|p90|p99|p99_9|p99_99) v=$(json_latency "$f" "$field") ;;
      *) v=$(json_number "$f" "$field") ;;
    esac
    [ -n "$v" ] && [ "$v" != null ] && echo "$v"
  done | median_min_max | awk -v d="$decimals" '$1 == "-" { print "-"; next } {
    printf "%.*f (%.*f-%.*f)", d, $1, d, $2, d, $3 }'
}

# Prints how many of the loadgen JSON summaries given are of clean runs (exit code 0): clean_runs FILE...
clean_runs() {
  local f
  for f in "$@"; do [ -f "$f" ] && [ "$(json_number "$f" exitCode)" = 0 ] && echo ok; done | wc -l
}

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
  local target="$1" logfile="$2" attempt port plain min="${SERVER_PORTS%-*}" max="${SERVER_PORTS#*-}"
  case "$target" in *-tls) [ -n "$TLS_DIR" ] || { echo "target $target needs make_tls_certs first" >&2; exit 1; } ;; esac
  for attempt in 1 2 3 4 5; do
    port=$((min + RANDOM % (max - min + 1)))
    plain=$((min + RANDOM % (max - min + 1)))
    listening "$port" && continue
    case "$target" in
      tern|tern-idle) java $BROKER_JVM_OPTS -jar "$BROKER_JAR" --port "$port" $BROKER_EXTRA >"$logfile" 2>&1 & ;;
      tern-baseline)
             java $BROKER_JVM_OPTS -jar "$BASELINE_JAR" --port "$port" $BROKER_EXTRA >"$logfile" 2>&1 & ;;
      tern-tls)
        { [ "$plain" != "$port" ] && ! listening "$plain"; } || continue
        java $BROKER_JVM_OPTS -jar "$BROKER_JAR" --port "$plain" --tls-port "$port" --tls-cert "$TLS_DIR/server.crt" \
          --tls-key "$TLS_DIR/server.key" $BROKER_EXTRA >"$logfile" 2>&1 & ;;
      # shellcheck disable=SC2086
      nats)  nats-server -a 127.0.0.1 -p "$port" $NATS_EXTRA >"$logfile" 2>&1 & ;;
      # shellcheck disable=SC2086
      nats-tls)
        nats-server -a 127.0.0.1 -p "$port" --tls --tlscert "$TLS_DIR/server.crt" --tlskey "$TLS_DIR/server.key" \
          $NATS_EXTRA >"$logfile" 2>&1 & ;;
      # shellcheck disable=SC2086
      redis) redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no $REDIS_EXTRA \
               >"$logfile" 2>&1 & ;;
      # shellcheck disable=SC2086
      redis-tls)
        redis-server --port 0 --tls-port "$port" --tls-cert-file "$TLS_DIR/server.crt" \
          --tls-key-file "$TLS_DIR/server.key" --tls-ca-cert-file "$TLS_DIR/ca.crt" --tls-auth-clients no \
          --bind 127.0.0.1 --save '' --appendonly no --daemonize no $REDIS_EXTRA >"$logfile" 2>&1 & ;;
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
