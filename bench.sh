#!/usr/bin/env bash
# Runs the benchmarks (tests/Benchmarks) in Release against a local PostgreSQL and prints a markdown report.
# Arguments: [messages=40000] [latency-seconds=30] [latency-rate=20] [finish-jobs=800], or: finish [finish-jobs=800] [worker-slots=2] [rows: bun python3 bash bun-dedicated python3-dedicated], or: latency [seconds=30] [rate=20], or: ingest [messages=40000], or: history [finished-jobs=10000000], or: idle [trigger-counts=100 500], or: deps [jobs=400], or: sandbox [jobs=300] [rounds=3], or: chaos [seconds=240] [seed=1] (docs/RELIABILITY.md)
set -euo pipefail
cd "$(dirname "$0")"
# What the silo's jobs run in by default: bubblewrap, and the job launcher that gcc builds (sasl-shim.sh installs it).
scripts/install-sandbox.sh
LD_LIBRARY_PATH="$(scripts/sasl-shim.sh)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
TRIGGERS_BENCH_POSTGRES="$(scripts/postgres.sh)"
TRIGGERS_BENCH_BUN="$(scripts/install-bun.sh)"
export TRIGGERS_BENCH_POSTGRES TRIGGERS_BENCH_BUN
if [ "${1:-}" = chaos ]; then
  # The soak runs silo processes and the test suite's infrastructure, which reads the tests' variables.
  TRIGGERS_TEST_POSTGRES="$TRIGGERS_BENCH_POSTGRES" TRIGGERS_TEST_BUN="$TRIGGERS_BENCH_BUN"
  export TRIGGERS_TEST_POSTGRES TRIGGERS_TEST_BUN
  dotnet build tests/Chaos/Chaos.csproj -c Release -nologo -v quiet >&2
  exec dotnet tests/Chaos/bin/Release/net10.0/Triggers.Chaos.dll "${@:2}"
fi
dotnet build tests/Benchmarks/Benchmarks.csproj -c Release -nologo -v quiet >&2
exec dotnet tests/Benchmarks/bin/Release/net10.0/Triggers.Benchmarks.dll "$@"
