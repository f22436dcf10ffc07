#!/usr/bin/env bash
# Prepares Kerberos (SASL/GSSAPI) support and prints a folder to put on LD_LIBRARY_PATH so that Confluent.Kafka
# loads its Kerberos-capable librdkafka. That build is linked against libsasl2.so.3, which Debian 12 ships as
# libsasl2.so.2 (the same ABI); without the link Confluent.Kafka silently falls back to a build without GSSAPI.
# Installs what is missing (as root): libsasl2 and its GSSAPI plugin, and gcc and the Kerberos headers, with which
# the build compiles the plugin that gives each Kafka client its own ticket cache (src/Grains/Triggers/Kafka/Native).
# Run it before building.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shim="$root/.tools/sasl-shim"
sasl="$(ls /usr/lib/x86_64-linux-gnu/libsasl2.so.2 /usr/lib/*/libsasl2.so.2 2>/dev/null | head -n 1 || true)"
missing=()
[ -n "$sasl" ] || missing+=(libsasl2-2)
[ -e /usr/lib/x86_64-linux-gnu/sasl2/libgssapiv2.so ] || missing+=(libsasl2-modules-gssapi-mit)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[ -e /usr/include/gssapi/gssapi_krb5.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "sasl-shim: ${missing[*]} missing and installing needs root; Kerberos resources will not work" >&2
    [ -n "$sasl" ] || exit 0
  else
    echo "sasl-shim: installing ${missing[*]} (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
    sasl="$(ls /usr/lib/x86_64-linux-gnu/libsasl2.so.2 /usr/lib/*/libsasl2.so.2 2>/dev/null | head -n 1)"
  fi
fi
mkdir -p "$shim"
ln -sf "$sasl" "$shim/libsasl2.so.3"
echo "$shim"
