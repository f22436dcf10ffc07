#!/usr/bin/env bash
# Installs the job sandbox where it is missing and this user can install Debian packages: bubblewrap (its namespaces)
# and pasta (Debian package passt: each sandbox's network of its own). Never fails: without them the silo runs no jobs
# and says why at startup (or, with Workers:Sandbox=none set by hand, runs them unsandboxed).
set -uo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v pasta >/dev/null 2>&1 || missing+=(passt)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-sandbox: installing ${missing[*]} (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >&2 || echo "install-sandbox: could not install ${missing[*]}" >&2
  else
    echo "install-sandbox: ${missing[*]} not installed (Debian: sudo apt-get install ${missing[*]}); the silo will run no jobs" >&2
  fi
fi
# pasta opens the tun device inside the user namespace it makes, as the jobs' user. udev makes it 0666; a machine or
# container without udev may leave it root's only.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  if [ "$(id -u)" = 0 ]; then chmod 0666 /dev/net/tun
  else echo "install-sandbox: /dev/net/tun is not usable by the jobs' user (sudo chmod 0666 /dev/net/tun, udev's default)" >&2; fi
fi
exit 0
