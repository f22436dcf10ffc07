#!/usr/bin/env bash
# Debian packages the security tests need: stunnel4 (TLS in front of the mock brokers), openssl (a test CA),
# and MIT Kerberos: a KDC with its admin tools, kinit, and the SASL GSSAPI plugin librdkafka authenticates with; pip,
# with which silos install Python scripts' packages; bubblewrap and pasta (passt), the job sandbox.
set -euo pipefail
missing=()
command -v stunnel4 >/dev/null 2>&1 || missing+=(stunnel4)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v krb5kdc >/dev/null 2>&1 || missing+=(krb5-kdc)
command -v kadmin.local >/dev/null 2>&1 || missing+=(krb5-admin-server)
command -v kinit >/dev/null 2>&1 || missing+=(krb5-user)
[ -e /usr/lib/x86_64-linux-gnu/sasl2/libgssapiv2.so ] || missing+=(libsasl2-modules-gssapi-mit)
/usr/bin/python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v pasta >/dev/null 2>&1 || missing+=(passt)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-tools: installing ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi
# The sandbox's network needs a tun device the jobs' user can open.
"$(dirname "$0")/install-sandbox.sh"
