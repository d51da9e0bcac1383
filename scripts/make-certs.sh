#!/usr/bin/env bash
# Makes a private CA and certificates for newsfeed's TLS and mutual TLS, with
# openssl. For tests, for the container images (deploy/entrypoint.sh makes the
# stack's certificates at first start) and for deployments without a CA of
# their own.
# Usage: scripts/make-certs.sh OUT_DIR [NAME...]
#   OUT_DIR/ca.pem, ca.key        the CA (trust ca.pem: --tls-ca, *_ca_file);
#                                 kept when OUT_DIR already holds a CA valid
#                                 for 30 more days, so that clients already
#                                 trusting it go on working
#   OUT_DIR/server.pem, .key      server certificate valid for localhost,
#                                 127.0.0.1, ::1 and every NAME (host names,
#                                 e.g. the compose service names, or IP
#                                 addresses)
#   OUT_DIR/client.pem, .key      client certificate for mutual TLS
# Server and client files are replaced. Keys are P-256 (mode 0600); the CA is
# valid 10 years, the others 825 days.
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
ip_pattern='^([0-9]+\.){3}[0-9]+$|:'
for name in "$@"; do
  if [[ $name =~ $ip_pattern ]]; then san="$san,IP:$name"; else san="$san,DNS:$name"; fi
done
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if ! [[ -s ca.key && -s ca.pem ]] || ! openssl x509 -checkend 2592000 -noout -in ca.pem >/dev/null; then
  key ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=newsfeed CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.pem
fi
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
