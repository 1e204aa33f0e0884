#!/usr/bin/env bash
# Runs the broker's in-process JMH benchmarks (broker/src/test/java/io/tern/broker/*Benchmark.java) with the GC
# profiler, so each result shows gc.alloc.rate.norm (bytes allocated per operation) next to its time.
#
#   broker/jmh.sh                          every benchmark, 1 fork, 3 x 1 s warm-up, 5 x 1 s measurement (~2 min)
#   broker/jmh.sh Route                    only those whose name matches a regex
#   broker/jmh.sh -f 3 -i 10 Route         any JMH option (broker/jmh.sh -h lists them); -prof gc is always added
#
# Compiles the test sources (JMH's annotation processor writes the benchmark stubs and META-INF/BenchmarkList), asks
# Maven for the test class path, then runs org.openjdk.jmh.Main. Measure on a quiet machine: on 2 shared cores,
# anything else running shows up in the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
if ! mvn -B -q -pl broker -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath >"$build_log" 2>&1; then
  cat "$build_log" >&2
  exit 1
fi

list=broker/target/test-classes/META-INF/BenchmarkList
if [ ! -s "$list" ]; then
  echo "jmh.sh: $list is missing: JMH's annotation processor did not run" >&2
  exit 1
fi

classpath="broker/target/test-classes:broker/target/classes:$(cat broker/target/jmh.classpath)"
java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp "$classpath" \
  org.openjdk.jmh.Main -prof gc "$@"
