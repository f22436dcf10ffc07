#!/usr/bin/env bash
# Installs Bun into $ROOT/.tools/bun from npm (the only network this needs) and prints the absolute
# path of the bun binary on stdout. Everything else goes to stderr so callers can capture the path.
# Idempotent: when the binary is already there and runs, nothing is downloaded.
set -euo pipefail

readonly BUN_VERSION="1.4.5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly PREFIX="$ROOT/.tools/bun"

log() { echo "install-bun: $*" >&2; }

# Bun's default build needs AVX2; the "baseline" build runs on any x86-64.
platform_package() {
  case "$(uname -m)" in
    x86_64)
      if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then echo "@oven/bun-linux-x64"; else echo "@oven/bun-linux-x64-baseline"; fi ;;
    aarch64 | arm64) echo "@oven/bun-linux-aarch64" ;;
    *) log "unsupported architecture $(uname -m)"; exit 1 ;;
  esac
}

PACKAGE="$(platform_package)"
readonly PACKAGE
readonly BUN_BIN="$PREFIX/node_modules/$PACKAGE/bin/bun"

runs() { [[ -x "$BUN_BIN" ]] && [[ "$("$BUN_BIN" --version 2>/dev/null)" == "$BUN_VERSION" ]]; }

if runs; then
  log "bun $BUN_VERSION already installed"
else
  command -v npm >/dev/null || { log "npm is required to install bun"; exit 1; }
  log "installing bun@$BUN_VERSION ($PACKAGE) into $PREFIX"
  mkdir -p "$PREFIX"
  # --ignore-scripts: bun's postinstall would download from GitHub; the platform package already
  # contains the binary, so we name it explicitly instead.
  npm install --prefix "$PREFIX" --ignore-scripts --no-audit --no-fund --no-save \
    "bun@$BUN_VERSION" "$PACKAGE@$BUN_VERSION" >&2
  runs || { log "installed bun at $BUN_BIN does not run"; exit 1; }
fi

echo "$BUN_BIN"
