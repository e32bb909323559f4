#!/usr/bin/env bash
# Call the device API (mutual TLS on the API custom domain) with the device certificate.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly EXIT_HTTP_ERROR=3
readonly EXIT_TLS_FAILED=4
readonly EXIT_NOT_ENFORCED=5

usage() {
  cat <<EOF
Usage: scripts/device/call-api.sh --domain HOST [options]

GET https://<domain>[:<port>]<path> with the device certificate and key (mutual TLS).
The response body goes to stdout, the status and progress to stderr.

Options:
  --domain HOST          API custom domain, sent as TLS SNI (default: \$API_DOMAIN); for a local
                         stand-in use its host name (e.g. localhost) or --resolve
  --port N               port (default: \$API_PORT, else 443)
  --path PATH            request path (default: /sample)
  --thing-name UUID      the device (default: the thingName in --device-dir; without --device-dir,
                         \$CERTS_DIR/devices/latest)
  --device-dir DIR       folder with deviceCert.crt and deviceCert.key (default: \$CERTS_DIR/devices/<thingName>)
  --cacert FILE          CA of the server certificate, for a private server CA (default: \$API_CACERT,
                         else the system trust store)
  --resolve SPEC         connect elsewhere but keep the host name (and SNI): ADDRESS, e.g. 127.0.0.1,
                         or curl's HOST:PORT:ADDRESS
  --without-cert         send no client certificate, to show that the server refuses the TLS handshake
                         (tried with TLS 1.2, where the client certificate is part of the handshake; TLS 1.3
                         only when the server offers nothing older)
  -h, --help             show this help

Exit codes:
  0  HTTP 2xx; with --without-cert: the server refused the TLS handshake, as it should (curl exit 35,
     or 56 with a TLS alert)
  1  error (missing files or tools, ...)
  2  bad arguments
  3  refused: the server answered with an HTTP error status, e.g. 403 from the authorizer (a revoked
     certificate), or 403 {"message":"Forbidden"} from mutual TLS (API Gateway completes the handshake
     and refuses a certificate whose issuer is not in the truststore, or that is expired, self-signed
     or signed with an insecure algorithm)
  4  TLS or connection failure; with --without-cert: the server was not reached (name, connection, time,
     untrusted server certificate) or did not refuse the handshake (not TLS, a bare reset), which says
     nothing about mutual TLS
  5  with --without-cert: the server answered without a client certificate (mutual TLS not enforced!)
EOF
}

domain=${API_DOMAIN:-}
port=${API_PORT:-}
path=/sample
thing_name=""
device_dir=""
cacert=${API_CACERT:-}
resolve=""
with_cert=true

while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --domain) need_value "$@"; domain=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --path) need_value "$@"; path=$2; shift 2 ;;
    --thing-name) need_value "$@"; thing_name=$2; shift 2 ;;
    --device-dir) need_value "$@"; device_dir=$(abs_path "$2"); shift 2 ;;
    --cacert) need_value "$@"; cacert=$(abs_path "$2"); shift 2 ;;
    --resolve) need_value "$@"; resolve=$2; shift 2 ;;
    --without-cert) with_cert=false; shift ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

[[ -n $domain ]] || usage_error "--domain is required (or set API_DOMAIN)"
if [[ ! $domain =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
  usage_error "--domain must be a host name (no scheme, port or path), not '$domain'"
fi
if [[ -n $port ]] && ! { is_positive_int "$port" && [[ $port -le 65535 ]]; }; then
  usage_error "--port must be a TCP port number, not '$port'"
fi
[[ $path == /* ]] || usage_error "--path must start with /, not '$path'"
if [[ -n $thing_name ]] && ! is_canonical_uuid "$thing_name"; then
  usage_error "--thing-name must be a canonical lowercase UUID, not '$thing_name'"
fi
if [[ -n $resolve && ! $resolve =~ ^[^:]+:[0-9]+:.+$ ]]; then
  resolve="$domain:${port:-443}:$resolve"
fi

require_tools curl

if [[ $with_cert == true ]]; then
  if [[ -z $thing_name && -n $device_dir && -f "$device_dir/thingName" ]]; then
    thing_name=$(tr -d '[:space:]' <"$device_dir/thingName")
  fi
  # devices/latest only when no --device-dir is given: it names another device than that folder's.
  if [[ -z $thing_name && -z $device_dir && -f "$CERTS_DIR/devices/latest" ]]; then
    thing_name=$(tr -d '[:space:]' <"$CERTS_DIR/devices/latest")
  fi
  [[ -n $thing_name || -n $device_dir ]] || die "no device: give --thing-name or --device-dir, or run scripts/device/create-device.sh first"
  device_dir=${device_dir:-$CERTS_DIR/devices/$thing_name}
  for f in "$device_dir/deviceCert.crt" "$device_dir/deviceCert.key"; do
    [[ -f $f ]] || die "missing $f: run scripts/device/create-device.sh (or give --device-dir)"
  done
fi
if [[ -n $cacert && ! -f $cacert ]]; then
  die "missing --cacert file $cacert"
fi

args=()
rc=0
status=""
err=""

# get url extra-curl-options...: one GET; sets rc, status (HTTP code) and err (curl's reason); the body is in
# $WORK_DIR/body.
get() {
  local url=$1
  shift
  rc=0
  status=$(curl "${args[@]}" "$@" --output "$WORK_DIR/body" --write-out '%{http_code}' "$url" 2>"$WORK_DIR/err") || rc=$?
  err=$(error_reason "$WORK_DIR/err")
}

# die_unreached note: exit 4 when curl never got to talk TLS with the server (no name, no connection, no answer
# in time, a server certificate it does not trust); note ends the message. Returns for any other failure.
die_unreached() {
  local note=$1
  case $rc in
    6) die "$EXIT_TLS_FAILED" "could not reach the server: cannot resolve $domain (curl exit $rc: $err).$note" ;;
    7) die "$EXIT_TLS_FAILED" "could not reach the server: nothing accepts connections on $domain:${port:-443}" \
      "(curl exit $rc: $err).$note" ;;
    28) die "$EXIT_TLS_FAILED" "could not reach the server: no answer in time (curl exit $rc: $err).$note" ;;
    60 | 77 | 83) die "$EXIT_TLS_FAILED" "the server certificate of $domain is not trusted (curl exit $rc: $err)." \
      "Give the CA that signed it with --cacert (default: the system trust store).$note" ;;
  esac
}

# expect_refusal url: --without-cert passes only when the server refuses the TLS handshake. TLS 1.2 first: there
# the client certificate is part of the handshake, so a server that requires one fails the handshake itself
# (curl exit 35). In TLS 1.3 the refusal comes after the handshake, and servers differ (an alert, or a bare
# close or reset that looks like any other failure), so TLS 1.3 is tried only on a TLS 1.3-only server, where
# only the alert counts (curl exit 56 "alert certificate required").
expect_refusal() {
  local url=$1 unknown=" That says nothing about whether mutual TLS is enforced."
  get "$url" --tls-max 1.2
  if [[ $rc -eq 35 && $err =~ protocol\ version|unsupported\ protocol|no\ protocols\ available ]]; then
    log "the server does not offer TLS 1.2 ($err); trying TLS 1.3"
    get "$url" --tlsv1.3
  fi
  case $rc in
    0)
      cat "$WORK_DIR/body"
      die "$EXIT_NOT_ENFORCED" "the server answered HTTP $status without a client certificate: mutual TLS is not" \
        "enforced on $domain" ;;
    35)
      if [[ $err == *"wrong version number"* ]]; then
        die "$EXIT_TLS_FAILED" "$domain:${port:-443} answered, but not a TLS handshake: not a TLS server (curl exit" \
          "$rc: $err).$unknown"
      fi
      log "refused as expected: the TLS handshake failed without a client certificate (curl exit $rc: $err)"
      return 0 ;;
    56)
      if [[ $err == *alert* ]]; then
        log "refused as expected: the server ended the TLS session with an alert (curl exit $rc: $err)"
        return 0
      fi ;;
  esac
  die_unreached "$unknown"
  die "$EXIT_TLS_FAILED" "the server did not refuse the TLS handshake, nor answer (curl exit $rc: $err).$unknown"
}

main() {
  local url="https://$domain${port:+:$port}$path"
  args=(--silent --show-error --connect-timeout 10 --max-time 30)
  if [[ -n $cacert ]]; then args+=(--cacert "$cacert"); fi
  if [[ -n $resolve ]]; then args+=(--resolve "$resolve"); fi
  make_work_dir ""
  if [[ $with_cert == false ]]; then
    step "GET $url without a client certificate (expected: the TLS handshake is refused)"
    expect_refusal "$url"
    return 0
  fi

  args+=(--cert "$(curl_cert_arg "$device_dir/deviceCert.crt")" --key "$device_dir/deviceCert.key")
  step "GET $url with the certificate of ${thing_name:-$device_dir}"
  get "$url"
  if [[ $rc -ne 0 ]]; then
    die_unreached ""
    die "$EXIT_TLS_FAILED" "TLS or connection failure (curl exit $rc: $err)." \
      "Check --domain (sent as SNI: a name, not an address), --port, --cacert and the device key."
  fi
  cat "$WORK_DIR/body"
  if [[ -s $WORK_DIR/body && $(tail -c 1 "$WORK_DIR/body" | wc -l) -eq 0 ]]; then
    printf '\n'
  fi
  if [[ $status == 403 && $(tr -d '[:space:]' <"$WORK_DIR/body") == '{"message":"Forbidden"}' ]]; then
    die "$EXIT_HTTP_ERROR" "HTTP 403 from $url: the API refused the client certificate of" \
      "${thing_name:-$device_dir} (mutual TLS: its issuer is not in the truststore, or it is expired," \
      "self-signed or signed with an insecure algorithm)"
  fi
  if [[ ${status:0:1} != 2 ]]; then
    die "$EXIT_HTTP_ERROR" "HTTP $status from $url"
  fi
  log "HTTP $status"
}

main
