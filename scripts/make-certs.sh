#!/usr/bin/env bash
# Makes a private CA and certificates for newsfeed's TLS and mutual TLS, with
# openssl. For tests and for deployments without a CA of their own.
# Usage: scripts/make-certs.sh OUT_DIR [NAME...]
#   OUT_DIR/ca.pem, ca.key        the CA (trust ca.pem: --tls-ca, *_ca_file)
#   OUT_DIR/server.pem, .key      server certificate valid for localhost,
#                                 127.0.0.1, ::1 and every NAME (e.g. the
#                                 compose service names)
#   OUT_DIR/client.pem, .key      client certificate for mutual TLS
# Existing files in OUT_DIR are replaced. Keys are P-256, valid 825 days.
set -euo pipefail
if (($# < 1)); then
  echo "usage: $0 OUT_DIR [NAME...]" >&2
  exit 2
fi
out="$1"
shift
mkdir -p "$out"
cd "$out"
umask 077
days=825
san="DNS:localhost,IP:127.0.0.1,IP:::1"
for name in "$@"; do san="$san,DNS:$name"; done
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=newsfeed CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem
issue() {  # issue NAME CN EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -sha256 -days "$days" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "${1:-localhost}" "subjectAltName=$san
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature"
issue client "newsfeed client" "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature"
rm -f ca.srl
chmod 644 ca.pem server.pem client.pem
echo "certificates in $out: ca.pem server.pem/key client.pem/key"
