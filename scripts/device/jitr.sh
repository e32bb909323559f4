#!/usr/bin/env bash
# The device side of just-in-time registration: get the certificate activated, ask for a thing,
# then prove the thing works by publishing on MQTT with the thing name as client id.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly EXIT_ACTIVATION_TIMEOUT=3
readonly EXIT_REQUEST_REJECTED=4
readonly EXIT_MQTT_REFUSED=5

usage() {
  cat <<EOF
Usage: scripts/device/jitr.sh [options]

Onboard a device created by scripts/device/create-device.sh. Its thing name is its certificate's subject CN:
any other --thing-name (or thingName file) is refused before any network call (exit 2), because the cloud
deactivates a certificate that asks for another name than its CN.
  1. POST {} to https://<endpoint>:<port>/topics/jitr/start?qos=1 with the device certificate and
     the CA (deviceCertAndCACert.crt) until AWS IoT answers {"message":"OK",...}. The first attempt
     is expected to fail (curl: "Empty reply from server"): AWS IoT registers the unknown certificate
     as PENDING_ACTIVATION and drops the connection; the activation function then activates it.
     Retries use exponential backoff with jitter, for at most --timeout seconds. An HTTP 403 means the
     certificate is active but its JITR policy is gone (detached by provisioning): the device was onboarded
     before, so step 2 is skipped (and sent during step 3 only if MQTT keeps refusing).
  2. POST {"thingName":"<thingName>"} to topics/jitr/request?qos=1 (provisioning is asynchronous).
  3. Publish to things/<thingName>/confirmation over MQTT (port --mqtt-port) with client id =
     the thing name, retried with backoff until accepted, for at most --mqtt-timeout seconds.
     While MQTT refuses, the request of step 2 is sent again after --resend-after seconds, then after
     twice as long each time (up to 120 s): a provisioning run that was lost (throttled past its
     retries, dropped) starts over, and one that finished or is running converges (it is idempotent).
     After each resend the MQTT retries start again from --initial-delay.

Renewal (--renew, after scripts/device/renew-device.sh made <device-dir>/next/):
  1. With the CURRENT certificate (client id = the thing name), publish {"certificateId":"<new id>"} to
     things/<thingName>/renewal over MQTT: the cloud records that the thing's certificate vouches for the new
     one. A refusal does not stop the run (an earlier run may have moved the thing already).
  2. Onboard next/'s certificate: the steps above, with next/'s files (provisioning moves the thing to it
     and retires the current certificate: INACTIVE, no policies, detached).
  3. Promote: next/'s files become the device folder's, the old ones move to <device-dir>/previous/.
  Each step is resumable: run it again after an interruption. Without next/ but with previous/ (promoted
  before), the device is checked as an onboarded device.

Options:
  --renew                renew: announce next/'s certificate, onboard it, promote it (see above)
  --thing-name UUID      the device (default: the thingName file in --device-dir; without --device-dir,
                         \$CERTS_DIR/devices/latest). A --device-dir without a thingName file needs
                         --thing-name (exit 1 otherwise): it never falls back to devices/latest
  --device-dir DIR       folder with deviceCert.key and deviceCertAndCACert.crt
                         (default: \$CERTS_DIR/devices/<thingName>)
  --endpoint HOST        IoT data endpoint host name, sent as TLS SNI (default: \$IOT_ENDPOINT, else
                         aws iot describe-endpoint --endpoint-type iot:Data-ATS); a local IoT Core: localhost
  --port N               HTTPS port (default: \$IOT_HTTPS_PORT or 8443)
  --mqtt-port N          MQTT over TLS port (default: \$IOT_MQTT_PORT or 8883)
  --cacert FILE          CA that signed the endpoint's server certificate
                         (default: \$IOT_CACERT or \$CERTS_DIR/AmazonRootCA1.pem)
  --timeout S            longest wait for activation, step 1 (default: \$JITR_TIMEOUT or 120)
  --mqtt-timeout S       longest wait for the MQTT publish to be accepted, step 3 (default: \$JITR_MQTT_TIMEOUT or 120)
  --resend-after S       during step 3, send the step-2 request again after S seconds of refusals,
                         doubling up to 120 s (default: \$JITR_RESEND_AFTER or 5; 0: never)
  --initial-delay S      first retry delay in seconds (default: \$JITR_INITIAL_DELAY or 1); retry k waits a
                         random time between half of it and min(--max-delay, --initial-delay * 2^k)
  --max-delay S          retry delay cap in seconds (default: \$JITR_MAX_DELAY or 16)
  -h, --help             show this help

$(aws_options_help)
  (The AWS CLI is needed only when --endpoint and IOT_ENDPOINT are both unset.)

Exit codes:
  0  onboarded: certificate active, thing requested, MQTT publish accepted (--renew: the new certificate
     accepted on MQTT and promoted)
  1  error: missing files or tools (a --device-dir without thingName and no --thing-name; --renew without
     next/ and previous/), server
     certificate not trusted (--cacert), bad client key, ...
  2  bad arguments, including a thing name that is not the device certificate's CN
  3  timed out waiting for activation (step 1 never answered OK within --timeout)
  4  request rejected (step 2: topics/jitr/request not accepted)
  5  MQTT refused (step 3: publish not accepted within --mqtt-timeout; is the thing provisioned?)
EOF
}

renew=false
thing_name=""
device_dir=""
endpoint=${IOT_ENDPOINT:-}
port=${IOT_HTTPS_PORT:-8443}
mqtt_port=${IOT_MQTT_PORT:-8883}
cacert=${IOT_CACERT:-}
timeout=${JITR_TIMEOUT:-120}
mqtt_timeout=${JITR_MQTT_TIMEOUT:-120}
resend_after=${JITR_RESEND_AFTER:-5}
initial_delay=${JITR_INITIAL_DELAY:-1}
max_delay=${JITR_MAX_DELAY:-16}

while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --renew) renew=true; shift ;;
    --thing-name) need_value "$@"; thing_name=$2; shift 2 ;;
    --device-dir) need_value "$@"; device_dir=$(abs_path "$2"); shift 2 ;;
    --endpoint) need_value "$@"; endpoint=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --mqtt-port) need_value "$@"; mqtt_port=$2; shift 2 ;;
    --cacert) need_value "$@"; cacert=$(abs_path "$2"); shift 2 ;;
    --timeout) need_value "$@"; timeout=$2; shift 2 ;;
    --mqtt-timeout) need_value "$@"; mqtt_timeout=$2; shift 2 ;;
    --resend-after) need_value "$@"; resend_after=$2; shift 2 ;;
    --initial-delay) need_value "$@"; initial_delay=$2; shift 2 ;;
    --max-delay) need_value "$@"; max_delay=$2; shift 2 ;;
    --endpoint-url) need_value "$@"; AWS_ENDPOINT_URL_OPT=$2; shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

valid_port() {
  is_positive_int "$1" && [[ $1 -le 65535 ]]
}
valid_port "$port" || usage_error "--port must be a TCP port number, not '$port'"
valid_port "$mqtt_port" || usage_error "--mqtt-port must be a TCP port number, not '$mqtt_port'"
is_positive_int "$timeout" || usage_error "--timeout must be a positive number of seconds, not '$timeout'"
is_positive_int "$mqtt_timeout" || usage_error "--mqtt-timeout must be a positive number of seconds, not '$mqtt_timeout'"
is_non_negative_int "$resend_after" || usage_error "--resend-after must be a whole number of seconds, not '$resend_after'"
is_non_negative_int "$initial_delay" || usage_error "--initial-delay must be a whole number of seconds, not '$initial_delay'"
is_non_negative_int "$max_delay" || usage_error "--max-delay must be a whole number of seconds, not '$max_delay'"
if [[ -n $endpoint && ! $endpoint =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
  usage_error "--endpoint must be a host name (no scheme, port or path), not '$endpoint'"
fi
if [[ -n $thing_name ]] && ! is_canonical_uuid "$thing_name"; then
  usage_error "--thing-name must be a canonical lowercase UUID, not '$thing_name'"
fi
finish_aws_options

# --- the device ---------------------------------------------------------------------------------
# The thing name: --thing-name, else <--device-dir>/thingName, else (neither option given) devices/latest.
# A --device-dir never falls back to devices/latest: that names another device.
if [[ -z $thing_name && -n $device_dir ]]; then
  if [[ -f "$device_dir/thingName" ]]; then
    thing_name=$(tr -d '[:space:]' <"$device_dir/thingName")
  fi
  [[ -n $thing_name ]] || die "$device_dir/thingName is missing or empty: a folder made by" \
    "scripts/device/create-device.sh holds its thing name there. Give --thing-name (the certificate's CN) with --device-dir."
fi
if [[ -z $thing_name && -f "$CERTS_DIR/devices/latest" ]]; then
  thing_name=$(tr -d '[:space:]' <"$CERTS_DIR/devices/latest")
fi
[[ -n $thing_name ]] || die "no device: give --thing-name or --device-dir, or run scripts/device/create-device.sh first"
is_canonical_uuid "$thing_name" || die "the thing name '$thing_name' is not a canonical lowercase UUID"
device_dir=${device_dir:-$CERTS_DIR/devices/$thing_name}
device_key="$device_dir/deviceCert.key"
device_chain="$device_dir/deviceCertAndCACert.crt"
for f in "$device_key" "$device_chain"; do
  [[ -f $f ]] || die "missing $f: run scripts/device/create-device.sh (or give --device-dir)"
done
cacert=${cacert:-$CERTS_DIR/AmazonRootCA1.pem}
[[ -f $cacert ]] || die "missing $cacert (the CA of the endpoint's server certificate). For AWS IoT:" \
  "curl -fsSL -o '$CERTS_DIR/AmazonRootCA1.pem' https://www.amazontrust.com/repository/AmazonRootCA1.pem;" \
  "for a local IoT Core give its CA with --cacert"

if [[ -z $endpoint ]]; then
  require_tools openssl curl mosquitto_pub aws
else
  require_tools openssl curl mosquitto_pub
fi

# The identity rule: a device is its certificate, and its thing name is the certificate's subject CN. The
# cloud enforces it (a request for another name gets the certificate set INACTIVE); refuse it here first,
# before any network call.
check_thing_name_is_the_certificate_cn() {
  local cns err="$WORK_DIR/cn.err" count
  cns=$(subject_cns "$device_chain" 2>"$err") \
    || die "cannot read the device certificate in $device_chain (openssl: $(error_reason "$err"))"
  count=$(grep -c . <<<"$cns" || true)
  if [[ $count -ne 1 ]]; then
    die "the device certificate in $device_chain has $count subject CNs: its thing name must be its one CN." \
      "Create devices with scripts/device/create-device.sh"
  fi
  if [[ $cns != "$thing_name" ]]; then
    die "$EXIT_USAGE" "the thing name is the certificate's subject CN: $device_chain says CN=$cns, and" \
      "$thing_name was asked for. A request for any other name than the certificate's CN gets the certificate" \
      "deactivated by the cloud (set INACTIVE, its JITR policy detached). Use --thing-name $cns, or the device" \
      "folder that holds the certificate of $thing_name."
  fi
}
make_work_dir ""
check_thing_name_is_the_certificate_cn

# --- backoff ------------------------------------------------------------------------------------
# Exponential backoff with full jitter above a floor (the benchmark's simulated devices use the same algorithm,
# bench/src/main/java/dev/iotonboard/bench/Backoff.java): retry k (0 = the first after reset_backoff) waits a
# uniformly random time between half of --initial-delay and min(--max-delay, --initial-delay * 2^k). The first
# retry waits between half and all of --initial-delay; later ones spread over the whole range, so a fleet that
# powers on at once does not retry in waves. The floor keeps every retry off the heels of the last one.
ceiling_ms=0
reset_backoff() {
  ceiling_ms=$((initial_delay * 1000))
}
# backoff_sleep deadline: sleep the current wait, never past the deadline (a $SECONDS value); double the ceiling
# up to --max-delay. Returns 1 when time is up.
backoff_sleep() {
  local deadline=$1 remaining_ms cap_ms ceiling floor_ms sleep_ms
  remaining_ms=$(((deadline - SECONDS) * 1000))
  if [[ $remaining_ms -le 0 ]]; then
    return 1
  fi
  cap_ms=$((max_delay * 1000))
  ceiling=$ceiling_ms
  if [[ $ceiling -gt $cap_ms ]]; then ceiling=$cap_ms; fi
  floor_ms=$((initial_delay * 1000 / 2))
  if [[ $floor_ms -gt $ceiling ]]; then floor_ms=$ceiling; fi
  sleep_ms=$((floor_ms + (RANDOM * 32768 + RANDOM) % (ceiling - floor_ms + 1)))
  if [[ $sleep_ms -gt $remaining_ms ]]; then
    sleep_ms=$remaining_ms
  fi
  if [[ $sleep_ms -gt 0 ]]; then
    sleep "$((sleep_ms / 1000)).$(printf '%03d' $((sleep_ms % 1000)))"
  fi
  ceiling_ms=$((ceiling * 2))
  if [[ $ceiling_ms -gt $cap_ms ]]; then
    ceiling_ms=$cap_ms
  fi
  [[ $SECONDS -lt $deadline ]]
}

# attempt_seconds deadline: how long one attempt may take: what is left until the deadline (a $SECONDS
# value), at least 1 and at most 30 seconds.
attempt_seconds() {
  local left=$(($1 - SECONDS))
  if [[ $left -gt 30 ]]; then left=30; fi
  if [[ $left -lt 1 ]]; then left=1; fi
  printf '%s' "$left"
}

# publish_as_device deadline topic message err_file: one QoS 1 mosquitto_pub of message to topic with the device's
# certificate and key, as client id thing_name; its exit code, its stderr in err_file. The attempt ends by the
# deadline (at most 30 s, attempt_seconds) where coreutils timeout exists.
publish_as_device() {
  local deadline=$1 topic=$2 message=$3 err_file=$4 guard
  guard=()
  if command -v timeout >/dev/null 2>&1; then
    guard=(timeout "$(attempt_seconds "$deadline")")
  fi
  ${guard[@]+"${guard[@]}"} mosquitto_pub -h "$endpoint" -p "$mqtt_port" \
    --cafile "$cacert" --cert "$device_chain" --key "$device_key" \
    -i "$thing_name" -t "$topic" -q 1 -m "$message" 2>"$err_file"
}

# --- HTTPS publish ------------------------------------------------------------------------------
http_code=""
curl_rc=0
curl_err=""
body_file=""

# https_publish topic payload max_seconds: sets curl_rc, http_code, curl_err; the body is in $body_file.
https_publish() {
  local topic=$1 payload=$2 max_time=$3 err_file="$WORK_DIR/curl.err"
  : >"$body_file"
  curl_rc=0
  http_code=$(curl --silent --show-error --connect-timeout 10 --max-time "$max_time" \
    --cert "$(curl_cert_arg "$device_chain")" --key "$device_key" --cacert "$cacert" \
    --header 'Content-Type: application/json' --data "$payload" \
    --output "$body_file" --write-out '%{http_code}' \
    "https://$endpoint:$port/topics/$topic?qos=1" 2>"$err_file") || curl_rc=$?
  curl_err=$(error_reason "$err_file")
}

answered_ok() {
  [[ $curl_rc -eq 0 && $http_code == 200 ]] && grep -Eq '"message"[[:space:]]*:[[:space:]]*"OK"' "$body_file"
}

# Errors that retrying cannot fix.
fail_on_local_tls_problem() {
  case $curl_rc in
    58 | 59) die "curl could not use the device certificate or key ($device_dir): $curl_err" ;;
    60 | 77 | 83) die "the server certificate of $endpoint is not trusted with --cacert $cacert (curl: $curl_err)." \
      "Give the CA that signed it with --cacert: for AWS IoT AmazonRootCA1.pem; for a local IoT Core its own CA." ;;
  esac
}

describe_attempt() {
  case $curl_rc in
    0) printf 'HTTP %s: %s' "$http_code" "$(head -c 200 "$body_file")" ;;
    52) printf 'empty reply (expected while AWS IoT registers the certificate as PENDING_ACTIVATION)' ;;
    35 | 56) printf 'TLS connection refused or reset (certificate not active yet?): %s' "$curl_err" ;;
    6) printf 'cannot resolve %s: %s' "$endpoint" "$curl_err" ;;
    7) printf 'cannot connect to %s:%s: %s' "$endpoint" "$port" "$curl_err" ;;
    28) printf 'timed out: %s' "$curl_err" ;;
    *) printf 'curl exit %s: %s' "$curl_rc" "$curl_err" ;;
  esac
}

# --- the steps ----------------------------------------------------------------------------------
activation_attempts=0
activation_seconds=0
onboarded_before=false
mqtt_attempts=0
mqtt_seconds=0
request_body="{\"thingName\":\"$thing_name\"}"
request_sent_at=0
requests_resent=0
resend_wait=0

wait_for_activation() {
  step "1/3 activation: POST {} to topics/jitr/start on $endpoint:$port (up to ${timeout}s)"
  local start=$SECONDS deadline=$((SECONDS + timeout))
  reset_backoff
  while true; do
    activation_attempts=$((activation_attempts + 1))
    https_publish jitr/start '{}' "$(attempt_seconds "$deadline")"
    if answered_ok; then
      activation_seconds=$((SECONDS - start))
      log "    attempt $activation_attempts: OK, the certificate is active"
      return 0
    fi
    fail_on_local_tls_problem
    if [[ $curl_rc -eq 0 && $http_code == 403 ]]; then
      # Connected, so the certificate is ACTIVE, but not allowed to publish on jitr/start: the JITR policy is
      # gone, and the provisioning function detaches it last, once the thing is made and attached.
      activation_seconds=$((SECONDS - start))
      onboarded_before=true
      log "    attempt $activation_attempts: HTTP 403: the certificate is active but no longer has the JITR policy:" \
        "this device was onboarded before. The request (step 2) is skipped; on to MQTT (should MQTT keep" \
        "refusing, the request is sent after --resend-after seconds all the same)"
      return 0
    fi
    log "    attempt $activation_attempts: $(describe_attempt)"
    if ! backoff_sleep "$deadline"; then
      die "$EXIT_ACTIVATION_TIMEOUT" "timed out after ${timeout}s and $activation_attempts attempts waiting for the" \
        "certificate to be activated (last attempt: $(describe_attempt))." \
        "Check the endpoint, that the CA is registered with auto-registration" \
        "(scripts/ca/register-ca.sh), that the stack is deployed with its caCertificateId, and the activation function's logs."
    fi
  done
}

request_thing() {
  step "2/3 request: POST $request_body to topics/jitr/request"
  local attempt
  reset_backoff
  for attempt in 1 2 3; do
    https_publish jitr/request "$request_body" 30
    if answered_ok; then
      request_sent_at=$SECONDS
      log "    accepted; provisioning runs asynchronously"
      return 0
    fi
    fail_on_local_tls_problem
    log "    attempt $attempt: $(describe_attempt)"
    # Only transport errors, throttling and server errors are worth another try.
    if [[ $curl_rc -eq 0 && $http_code != 429 && ${http_code:0:1} != 5 ]]; then
      break
    fi
    if [[ $attempt -lt 3 ]]; then
      backoff_sleep $((SECONDS + 60)) || true
    fi
  done
  die "$EXIT_REQUEST_REJECTED" "the provisioning request was rejected ($(describe_attempt))." \
    "The JITR policy must allow iot:Publish on topic jitr/request for this certificate."
}

confirm_over_mqtt() {
  local topic="things/$thing_name/confirmation"
  step "3/3 confirmation: MQTT publish to $topic on $endpoint:$mqtt_port as client $thing_name (up to ${mqtt_timeout}s)"
  local start=$SECONDS deadline=$((SECONDS + mqtt_timeout)) rc err_file="$WORK_DIR/mqtt.err"
  reset_backoff
  while true; do
    mqtt_attempts=$((mqtt_attempts + 1))
    rc=0
    publish_as_device "$deadline" "$topic" "{\"thingName\":\"$thing_name\",\"message\":\"onboarded\"}" \
      "$err_file" || rc=$?
    if [[ $rc -eq 0 ]]; then
      mqtt_seconds=$((SECONDS - start))
      log "    attempt $mqtt_attempts: accepted"
      return 0
    fi
    log "    attempt $mqtt_attempts: refused (mosquitto_pub exit $rc: $(tail -n 1 "$err_file")); the thing may not be provisioned yet"
    resend_request_when_due "$deadline"
    if ! backoff_sleep "$deadline"; then
      die "$EXIT_MQTT_REFUSED" "MQTT publish to $topic still refused after ${mqtt_timeout}s and $mqtt_attempts attempts" \
        "(last: mosquitto_pub exit $rc: $(tail -n 1 "$err_file"))." \
        "Check the provisioning function's logs: the thing, its certificate and the app policy must be attached."
    fi
  done
}

# resend_request_when_due deadline: when MQTT has refused for the current wait (--resend-after, doubling
# up to 120 s, so a backlog of provisioning events is not flooded with duplicates), publish the
# provisioning request again. Its answer never ends the script: a 403 means provisioning already
# detached the JITR policy, so MQTT should be accepted soon.
resend_request_when_due() {
  local deadline=$1 waited cap=$((resend_after > 120 ? resend_after : 120))
  [[ $resend_after -gt 0 ]] || return 0
  if [[ $resend_wait -eq 0 ]]; then resend_wait=$resend_after; fi
  [[ $((SECONDS - request_sent_at)) -ge $resend_wait ]] || return 0
  waited=$resend_wait
  resend_wait=$((resend_wait * 2))
  if [[ $resend_wait -gt $cap ]]; then resend_wait=$cap; fi
  if [[ $SECONDS -ge $deadline ]]; then return 0; fi
  https_publish jitr/request "$request_body" "$(attempt_seconds "$deadline")"
  fail_on_local_tls_problem
  request_sent_at=$SECONDS
  requests_resent=$((requests_resent + 1))
  # A new request: provisioning answers it in about a second, so MQTT's backoff starts again from --initial-delay.
  reset_backoff
  if answered_ok; then
    log "    MQTT refused for ${waited}s since the request: sent it again (accepted)"
  else
    log "    MQTT refused for ${waited}s since the request: sent it again ($(describe_attempt))"
  fi
}

main() {
  body_file="$WORK_DIR/body"
  if [[ -z $endpoint ]]; then
    step "looking up the IoT data endpoint (aws iot describe-endpoint --endpoint-type iot:Data-ATS)"
    endpoint=$(aws_iot describe-endpoint --endpoint-type iot:Data-ATS | sed -n 's/.*"endpointAddress"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p') \
      || die "aws iot describe-endpoint failed: check credentials, region and endpoint, or give --endpoint"
    [[ -n $endpoint ]] || die "aws iot describe-endpoint returned no endpointAddress; give --endpoint"
  fi
  if [[ $endpoint =~ ^[0-9.]+$ ]]; then
    warn "--endpoint $endpoint is an IP address: no TLS SNI is sent, which AWS IoT requires; use a host name (e.g. localhost)"
  fi
  log "device $thing_name ($device_dir), endpoint $endpoint"

  if [[ $renew == true ]]; then
    renew_device
  else
    onboard
  fi
  printf '%s\n' "$thing_name"
}

onboard() {
  wait_for_activation
  if [[ $onboarded_before == true ]]; then
    request_sent_at=$SECONDS
  else
    request_thing
  fi
  confirm_over_mqtt
  summary
}

summary() {
  log "---- summary ----"
  log "thing name:  $thing_name"
  log "endpoint:    $endpoint (HTTPS $port, MQTT $mqtt_port)"
  local resent=""
  if [[ $requests_resent -gt 0 ]]; then resent=$(printf ' %s time(s) during MQTT' "$requests_resent"); fi
  if [[ $onboarded_before == true ]]; then
    log "activation:  already active, onboarded before (jitr/start: HTTP 403) after $activation_attempts attempt(s)"
    log "request:     skipped${resent:+, then sent$resent}"
  else
    log "activation:  OK after $activation_attempts attempt(s), ${activation_seconds}s"
    log "request:     accepted on jitr/request${resent:+ (sent again$resent)}"
  fi
  log "MQTT:        accepted on things/$thing_name/confirmation after $mqtt_attempts attempt(s), ${mqtt_seconds}s"
  log "next: scripts/device/call-api.sh --domain <API custom domain> --thing-name $thing_name"
}

# --- renewal ------------------------------------------------------------------------------------
# Markers in next/: the new certificate was accepted on MQTT; the old files were saved to previous/.
readonly RENEWAL_CONFIRMED=.confirmed
readonly RENEWAL_SAVED=.previous-saved
readonly IDENTITY_FILES="deviceCert.key deviceCert.csr deviceCert.crt deviceCertAndCACert.crt"

renew_device() {
  local next="$device_dir/next" cns new_id f
  if [[ ! -d $next ]]; then
    if [[ -d "$device_dir/previous" ]]; then
      log "no $next: the renewal was completed before (previous/ holds the old identity); checking the device" \
        "as an onboarded device"
      onboard
      return
    fi
    die "no $next: create the new identity first, where the CA key is:" \
      "scripts/device/renew-device.sh --device-dir $device_dir"
  fi
  if [[ -f "$next/$RENEWAL_CONFIRMED" ]]; then
    log "the new certificate was accepted on MQTT by an earlier run; finishing its promotion"
  else
    for f in deviceCert.key deviceCertAndCACert.crt deviceCert.crt; do
      [[ -f "$next/$f" ]] || die "missing $next/$f: remove $next and run scripts/device/renew-device.sh again"
    done
    cns=$(subject_cns "$next/deviceCert.crt" 2>/dev/null) || die "cannot read $next/deviceCert.crt"
    [[ $cns == "$thing_name" ]] || die "$EXIT_USAGE" "$next/deviceCert.crt has CN=$cns, not $thing_name:" \
      "a renewal keeps the thing name"
    new_id=$(sha256_fingerprint "$next/deviceCert.crt") || die "cannot read $next/deviceCert.crt"
    announce_renewal "$new_id"
    onboard_next "$next"
    : >"$next/$RENEWAL_CONFIRMED"
  fi
  promote "$next"
  log "---- summary ----"
  log "thing name:  $thing_name, renewed: it now holds the certificate in $device_dir; the old one is in" \
    "$device_dir/previous (retired by the cloud: INACTIVE, detached)"
}

# announce_renewal id: publish the new certificate's id on the thing's renewal topic with the current one.
announce_renewal() {
  local id=$1 topic="things/$thing_name/renewal" attempt rc err_file="$WORK_DIR/announce.err"
  local deadline=$((SECONDS + 60))
  step "renewal 1/3 announcement: MQTT publish {\"certificateId\":\"$id\"} to $topic with the current certificate"
  reset_backoff
  for attempt in 1 2 3; do
    rc=0
    publish_as_device "$deadline" "$topic" "{\"certificateId\":\"$id\"}" "$err_file" || rc=$?
    if [[ $rc -eq 0 ]]; then
      log "    attempt $attempt: accepted; the cloud records the announcement asynchronously"
      return 0
    fi
    log "    attempt $attempt: refused (mosquitto_pub exit $rc: $(tail -n 1 "$err_file"))"
    if [[ $attempt -lt 3 ]]; then
      backoff_sleep "$deadline" || true
    fi
  done
  warn "the current certificate was refused on MQTT: if an earlier run announced the new certificate, the cloud" \
    "may have retired the current one already, so going on. If it was never announced, provisioning refuses the" \
    "new certificate (exit $EXIT_MQTT_REFUSED); an operator can re-bind the thing: scripts/ops/rebind.sh"
}

# onboard_next dir: the JITR steps with the new identity (this script, with next/'s files).
onboard_next() {
  local next=$1 rc=0
  step "renewal 2/3 onboarding the new certificate (jitr.sh --device-dir $next)"
  "${BASH_SOURCE[0]}" --device-dir "$next" --thing-name "$thing_name" --endpoint "$endpoint" \
    --port "$port" --mqtt-port "$mqtt_port" --cacert "$cacert" --timeout "$timeout" \
    --mqtt-timeout "$mqtt_timeout" --resend-after "$resend_after" --initial-delay "$initial_delay" \
    --max-delay "$max_delay" >/dev/null || rc=$?
  if [[ $rc -ne 0 ]]; then
    die "$rc" "the new certificate was not onboarded (exit $rc, see above); the current one is kept in" \
      "$device_dir. Run this again to resume."
  fi
}

# promote next: next/'s files become the device folder's; the old ones move to previous/. Resumable: the old
# files are saved (copied) first, then next/'s files moved in one by one.
promote() {
  local next=$1 previous="$device_dir/previous" staging="$device_dir/.previous.new" f
  step "renewal 3/3 promotion: $next becomes the device's identity, the old one moves to $previous"
  if [[ ! -f "$next/$RENEWAL_SAVED" ]]; then
    rm -rf -- "$staging"
    mkdir "$staging"
    for f in $IDENTITY_FILES; do
      if [[ -f "$device_dir/$f" ]]; then cp -p "$device_dir/$f" "$staging/$f"; fi
    done
    rm -rf -- "$previous"
    mv "$staging" "$previous"
    : >"$next/$RENEWAL_SAVED"
  fi
  for f in $IDENTITY_FILES; do
    if [[ -f "$next/$f" ]]; then mv -f "$next/$f" "$device_dir/$f"; fi
  done
  rm -f -- "$next/$RENEWAL_CONFIRMED" "$next/$RENEWAL_SAVED"
  rmdir "$next"
}

main
