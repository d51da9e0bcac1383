#!/bin/sh
# Entry point of the service images: when NEWSFEED_TLS_DIR is set, makes sure
# it holds a CA and a server certificate valid for localhost and every name of
# NEWSFEED_TLS_HOSTS (comma or space separated), then runs the service
# ("$@"). Certificates are made at first start (make-certs.sh, kept in the
# secrets volume) and made again when a name is not covered or the server
# certificate has less than 30 days left; the CA is kept, so clients that
# trust it go on working. Certificates an operator put there are used as they
# are while they cover the names and stay valid.
set -eu
dir="${NEWSFEED_TLS_DIR:-}"

# True when $dir/server.pem is valid for 30 more days and for every name.
certificate_fits() {
  cert="$dir/server.pem"
  [ -s "$cert" ] && [ -s "$dir/server.key" ] || return 1
  openssl x509 -checkend 2592000 -noout -in "$cert" >/dev/null 2>&1 || return 1
  for name in localhost $hosts; do
    if expr "$name" : '[0-9.]*$' >/dev/null || expr "$name" : '.*:' >/dev/null; then
      check=-checkip
    else
      check=-checkhost
    fi
    openssl x509 -noout -in "$cert" "$check" "$name" 2>/dev/null |
      grep -q ' does match' || return 1
  done
}

if [ -n "$dir" ]; then
  hosts=$(printf '%s' "${NEWSFEED_TLS_HOSTS:-}" | tr ',' ' ' | xargs)
  if [ -d "$dir" ] && [ ! -w "$dir" ]; then
    # A read-only mount of the operator's own certificates: used as they are.
    certificate_fits ||
      echo "newsfeed-entrypoint: $dir/server.pem (read-only) is missing, expiring or not valid for localhost${hosts:+ $hosts}" >&2
  else
    (umask 077 && mkdir -p "$dir")
    # Replicas starting together (docker-compose.scale.yml) must make one CA,
    # not one each: the first one in makes it, the others find it.
    exec 9>>"$dir/.lock"
    flock 9
    if ! certificate_fits; then
      # shellcheck disable=SC2086 # one argument per name
      "${NEWSFEED_MAKE_CERTS:-/usr/local/lib/newsfeed/make-certs.sh}" "$dir" $hosts >/dev/null
      echo "newsfeed-entrypoint: made a TLS certificate for localhost${hosts:+ $hosts} in $dir (clients trust $dir/ca.pem)" >&2
    fi
    flock -u 9
    exec 9>&-
  fi
fi
exec "$@"
