#!/usr/bin/env bash
# Makes the certificates of mutual TLS inside a cluster (Orleans:Tls): a private certificate authority and one certificate
# it issues, which every silo and API front end of the cluster presents. Files as cert-manager names them, so a
# Kubernetes Secret made from the directory fits the chart (orleans.tls.existingSecret):
#   ca.crt          the authority's certificate (Orleans:Tls:CertificateAuthority)
#   tls.crt, tls.key the cluster member's certificate and key (Orleans:Tls:Certificate, Orleans:Tls:Key)
# The authority's own key (ca.key) stays in the directory: keep it out of the cluster.
#   scripts/cluster-certs.sh DIR [days=825]
set -euo pipefail
dir="${1:?usage: scripts/cluster-certs.sh DIR [days]}"
days="${2:-825}"
command -v openssl >/dev/null || { echo "cluster-certs: openssl is required (Debian: apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.key" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -days "$days" -subj "/CN=orleans-triggers cluster CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/tls.key" -out "$dir/tls.csr" \
  -subj "/CN=orleans-triggers" 2>/dev/null
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/tls.crt" -days "$days" \
  -extfile <(printf 'subjectAltName=DNS:orleans-triggers,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n') 2>/dev/null
rm -f "$dir/tls.csr" "$dir/ca.srl"
chmod 644 "$dir/ca.crt" "$dir/tls.crt"
echo "$dir"
