#!/usr/bin/env bash
# Builds and starts one silo. Without ConnectionStrings__Postgres it runs on the embedded default
# (in-memory state and a development Kafka broker); extra arguments go to the silo (e.g. --urls).
set -euo pipefail
cd "$(dirname "$0")"

bun="$(scripts/install-bun.sh)"
dotnet build src/Silo/Silo.csproj -c Release -nologo -v quiet >&2
export Runtimes__Bun="${Runtimes__Bun:-$bun}"
# Kerberos (SASL_GSSAPI) needs the librdkafka build that links libsasl2.so.3; see scripts/sasl-shim.sh.
shim="$(scripts/sasl-shim.sh)"
[ -n "$shim" ] && export LD_LIBRARY_PATH="$shim${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://localhost:8000}"
exec dotnet src/Silo/bin/Release/net10.0/Triggers.Silo.dll "$@"
