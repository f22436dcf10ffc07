#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser test (if missing) and prints its path.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "install-chromium: installing chromium (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium >&2
fi
command -v chromium
