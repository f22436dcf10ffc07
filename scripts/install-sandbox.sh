#!/usr/bin/env bash
# Installs bubblewrap, the job sandbox (Debian package bubblewrap), where it is missing and this user can install
# Debian packages. Never fails: without it the silo runs jobs unsandboxed and says so at startup.
set -uo pipefail
command -v bwrap >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-sandbox: installing bubblewrap (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq bubblewrap; } >&2 || echo "install-sandbox: could not install bubblewrap" >&2
else
  echo "install-sandbox: bubblewrap is not installed (Debian: sudo apt-get install bubblewrap); jobs will run unsandboxed" >&2
fi
exit 0
