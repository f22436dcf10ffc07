#!/usr/bin/env bash
# Prints a folder to put on LD_LIBRARY_PATH so that Confluent.Kafka loads its Kerberos-capable librdkafka.
# That build is linked against libsasl2.so.3, which Debian 12 ships as libsasl2.so.2 (the same ABI); without the
# link Confluent.Kafka silently falls back to a build without GSSAPI. Installs libsasl2 and the GSSAPI plugin
# if they are missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shim="$root/.tools/sasl-shim"
sasl="$(ls /usr/lib/x86_64-linux-gnu/libsasl2.so.2 /usr/lib/*/libsasl2.so.2 2>/dev/null | head -n 1 || true)"
if [ -z "$sasl" ] || [ ! -e /usr/lib/x86_64-linux-gnu/sasl2/libgssapiv2.so ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "sasl-shim: libsasl2 or its GSSAPI plugin is missing and installing needs root; Kerberos resources will not work" >&2
    exit 0
  fi
  echo "sasl-shim: installing libsasl2-2 and libsasl2-modules-gssapi-mit (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq libsasl2-2 libsasl2-modules-gssapi-mit >&2
  sasl="$(ls /usr/lib/x86_64-linux-gnu/libsasl2.so.2 /usr/lib/*/libsasl2.so.2 2>/dev/null | head -n 1)"
fi
mkdir -p "$shim"
ln -sf "$sasl" "$shim/libsasl2.so.3"
echo "$shim"
