#!/usr/bin/env bash
# Builds and starts one silo. Without ConnectionStrings__Postgres it runs on the embedded default
# (in-memory state and a development Kafka broker); extra arguments go to the silo (e.g. --urls).
set -euo pipefail
cd "$(dirname "$0")"

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  cat <<'USAGE'
Usage: ./run.sh [silo arguments...]

Builds and starts one Orleans Triggers silo on http://localhost:8000 (ASPNETCORE_URLS to change it).

Without configuration it runs on the embedded default: state in memory and a development Kafka broker inside the
silo (GET /api/dev_kafka gives its address). The startup banner shows the API, its reference (/api/docs), the
dashboard and the admin token.

Environment:
  ConnectionStrings__Postgres   PostgreSQL for durable state, jobs and clustering (e.g. Host=localhost;Database=triggers;...)
  Auth__AdminToken              the API's admin token (generated and shown in the banner when unset)
  Secrets__Key                  base64 AES key for stored Kafka secrets (generated into .data/secrets.key when unset)
  Workers__Count                worker slots of this silo (default 2; 0 listens only)
  ASPNETCORE_URLS               where the API listens (default http://localhost:8000)
Any other configuration key works the same way (Section__Key); see README.md, "Configuration".

Arguments after the options go to the silo, e.g. ./run.sh --urls http://0.0.0.0:9000
USAGE
  exit 0
fi

bun="$(scripts/install-bun.sh)"
dotnet build src/Silo/Silo.csproj -c Release -nologo -v quiet >&2
export Runtimes__Bun="${Runtimes__Bun:-$bun}"
# Kerberos (SASL_GSSAPI) needs the librdkafka build that links libsasl2.so.3; see scripts/sasl-shim.sh.
shim="$(scripts/sasl-shim.sh)"
[ -n "$shim" ] && export LD_LIBRARY_PATH="$shim${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://localhost:8000}"
exec dotnet src/Silo/bin/Release/net10.0/Triggers.Silo.dll "$@"
