#!/usr/bin/env bash
# The whole seed flow on this machine: local IoT Core, your CA, one device, JITR, MQTT, the mTLS API, revocation.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'EOF'
Usage: scripts/demo.sh [--keep] [--no-build] [-h|--help]

Runs the complete onboarding flow offline against the local IoT Core (local/):
  1. builds the project if a jar is missing or older than its sources, and installs dynalite (the local
     DynamoDB engine, pinned by package-lock.json) with npm ci if node_modules/dynalite is missing
  2. creates a CA (scripts/ca/create-ca.sh)
  3. synthesizes the CDK stack into .local/demo/cdk.out, for that CA (-c caCertificateId: the SHA-256 of
     the CA certificate's DER, the id AWS IoT gives it)
  4. starts the local IoT Core (control plane, HTTPS 8443, MQTT 8883, API 9443) and registers the CA with
     auto-registration (scripts/ca/register-ca.sh, AWS CLI); its id must be the one synthesized
  5. creates a device and runs scripts/device/jitr.sh (HTTPS jitr/start + jitr/request, MQTT publish)
  6. calls the API with the device certificate (200), without it (TLS refusal)
  7. revokes the certificate and shows the API now refuses it (403)
Everything is written under .local/demo/ (your certs/ is not touched) and every process it started is
stopped at the end, also on failure or Ctrl-C. Exit 0 only if every step behaved as expected.

Options:
  --keep       leave the local IoT Core running at the end (stop it with Ctrl-C)
  --no-build   never run Maven's build or npm ci (fail if the jars or dynalite are missing)
  -h, --help   this help

Environment:
  LOCAL_CONTROL_PORT (4566), LOCAL_HTTPS_PORT (8443), LOCAL_MQTT_PORT (8883), LOCAL_API_PORT (9443)
  DEMO_DIR (.local/demo): where the demo writes its CA, device, cdk.out and logs
EOF
}

KEEP=0
BUILD=1
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --keep) KEEP=1 ;;
    --no-build) BUILD=0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift
done

CONTROL_PORT=${LOCAL_CONTROL_PORT:-4566}
HTTPS_PORT=${LOCAL_HTTPS_PORT:-8443}
MQTT_PORT=${LOCAL_MQTT_PORT:-8883}
API_PORT=${LOCAL_API_PORT:-9443}
for port in "$CONTROL_PORT" "$HTTPS_PORT" "$MQTT_PORT" "$API_PORT"; do
  is_positive_int "$port" || usage_error "ports must be positive integers, got '$port'"
done
DEMO_DIR=$(abs_path "${DEMO_DIR:-$REPO_ROOT/.local/demo}")

require_tools java mvn node openssl curl jq aws mosquitto_pub

LOCAL_JAR="$REPO_ROOT/local/target/local-iot-core.jar"
TOOL_PID=""
TOOL_LOG="$DEMO_DIR/local-iot-core.log"
STEP_NO=0

stop_tool() {
  if [[ -n $TOOL_PID ]] && kill -0 "$TOOL_PID" 2>/dev/null; then
    log "stopping the local IoT Core (pid $TOOL_PID)"
    kill "$TOOL_PID" 2>/dev/null || true
    local waited=0
    while kill -0 "$TOOL_PID" 2>/dev/null && [[ $waited -lt 15 ]]; do sleep 1; waited=$((waited + 1)); done
    kill -9 "$TOOL_PID" 2>/dev/null || true
  fi
  TOOL_PID=""
}
trap stop_tool EXIT
trap 'exit 130' INT TERM

demo_step() {
  STEP_NO=$((STEP_NO + 1))
  printf '\n[%d] %s\n' "$STEP_NO" "$*" >&2
}
ok() { printf '    ok: %s\n' "$*" >&2; }
fail() {
  printf '    FAILED: %s\n' "$*" >&2
  if [[ -f $TOOL_LOG ]]; then
    printf '    last lines of %s:\n' "$TOOL_LOG" >&2
    tail -n 20 "$TOOL_LOG" | sed 's/^/      /' >&2
  fi
  exit 1
}

# The AWS CLI against the local control plane (AWS CLI v2 before 2.13 ignores AWS_ENDPOINT_URL).
local_aws() {
  aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"
}

# A jar is stale when a source file of its module is newer than it.
needs_build() {
  local module jar
  for module in lambdas/certificate-activation lambdas/thing-provisioning lambdas/reconciler lambdas/device-api local; do
    jar="$REPO_ROOT/$module/target/${module##*/}.jar"
    [[ $module == local ]] && jar=$LOCAL_JAR
    [[ -f $jar ]] || return 0
    [[ -z $(find "$REPO_ROOT/$module/src/main" "$REPO_ROOT/lambdas/core/src/main" -newer "$jar" -type f -print -quit) ]] || return 0
  done
  # A class file, not the classes folder: recompiling rewrites files, which leaves the folder's time as it was.
  local app_class="$REPO_ROOT/infra/target/classes/dev/iotonboard/infra/OnboardingApp.class"
  [[ -f $app_class ]] || return 0
  [[ -z $(find "$REPO_ROOT/infra/src/main" -newer "$app_class" -type f -print -quit) ]] || return 0
  return 1
}

build() {
  demo_step "Build"
  if ! needs_build; then
    ok "jars are up to date"
  elif [[ $BUILD -eq 0 ]]; then
    fail "the jars are missing or older than their sources; run: mvn -DskipTests package"
  else
    log "running: mvn -B -q -DskipTests package (a first build downloads dependencies and takes minutes)"
    (cd "$REPO_ROOT" && mvn -B -q -DskipTests package) || fail "the build failed"
    ok "built the Lambda jars, the CDK app and the local IoT Core"
  fi
}

# dynalite, the local IoT Core's DynamoDB engine, comes from npm ci (package.json pins it, package-lock.json locks it).
install_dynalite() {
  demo_step "DynamoDB engine (dynalite)"
  if [[ -f $REPO_ROOT/node_modules/dynalite/cli.js ]]; then
    ok "dynalite is installed (node_modules/dynalite)"
  elif [[ $BUILD -eq 0 ]]; then
    fail "dynalite is not installed; run: npm ci (in $REPO_ROOT)"
  else
    require_tools npm
    log "running: npm ci (installs dynalite and the CDK CLI that package-lock.json locks)"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund) >"$DEMO_DIR/npm-ci.log" 2>&1 \
      || { tail -n 20 "$DEMO_DIR/npm-ci.log" >&2; fail "npm ci failed (log: ${DEMO_DIR#"$REPO_ROOT"/}/npm-ci.log)"; }
    [[ -f $REPO_ROOT/node_modules/dynalite/cli.js ]] || fail "npm ci did not install node_modules/dynalite"
    ok "installed dynalite with npm ci"
  fi
}

# synthesize ca-id: the stack for the CA whose certificate id (64 lowercase hex) is given.
synthesize() {
  demo_step "Synthesize the CDK stack for CA $1 (cdk-nag checks included)"
  rm -rf "$DEMO_DIR/cdk.out"
  local context
  context=$(jq -cn --arg truststore "$CERTS_DIR/rootCA.pem" --arg ca "$1" \
    '{truststorePath: $truststore, caCertificateId: $ca}')
  (cd "$REPO_ROOT" && CDK_OUTDIR="$DEMO_DIR/cdk.out" CDK_CONTEXT_JSON=$context \
    JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 mvn -B -q -pl infra exec:java) \
    >"$DEMO_DIR/synth.log" 2>&1 || { cat "$DEMO_DIR/synth.log" >&2; fail "synthesis failed"; }
  [[ -f $DEMO_DIR/cdk.out/manifest.json ]] || fail "no cdk.out/manifest.json after synthesis"
  ok "stack template in ${DEMO_DIR#"$REPO_ROOT"/}/cdk.out"
}

start_tool() {
  demo_step "Start the local IoT Core"
  java -jar "$LOCAL_JAR" --cdk-out "$DEMO_DIR/cdk.out" --state-dir "$DEMO_DIR/state" \
    --ports "$CONTROL_PORT,$HTTPS_PORT" --mqtt-port "$MQTT_PORT" --api-port "$API_PORT" \
    --function-env "AUTH_CACHE_TTL_SECONDS=2" --dynalite "$REPO_ROOT" \
    >"$TOOL_LOG" 2>&1 &
  TOOL_PID=$!
  local waited=0
  until grep -q '\[core\] ready' "$TOOL_LOG" 2>/dev/null; do
    kill -0 "$TOOL_PID" 2>/dev/null || fail "the local IoT Core exited (are ports $CONTROL_PORT/$HTTPS_PORT/$MQTT_PORT/$API_PORT free?)"
    [[ $waited -lt 120 ]] || fail "the local IoT Core was not ready after 60 s"
    sleep 0.5
    waited=$((waited + 1))
  done
  SERVER_CA="$DEMO_DIR/state/server-ca.pem"
  ok "$(grep -m1 '\[core\] ready' "$TOOL_LOG")"
}

main() {
  mkdir -p "$DEMO_DIR"
  rm -rf "$DEMO_DIR/certs" "$DEMO_DIR/state"
  export CERTS_DIR="$DEMO_DIR/certs"
  # The local control plane accepts any signature; these never reach AWS.
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_SESSION_TOKEN=""
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
  export AWS_ENDPOINT_URL="http://127.0.0.1:$CONTROL_PORT"
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  unset AWS_PROFILE AWS_ENDPOINT_URL_IOT

  build
  install_dynalite

  # The CA exists before synthesis: the stack is synthesized for its id (-c caCertificateId), which AWS IoT
  # (and the local IoT Core) derive from the certificate: the SHA-256 of its DER encoding.
  demo_step "Create the root CA (scripts/ca/create-ca.sh)"
  "$REPO_ROOT/scripts/ca/create-ca.sh" --key-type ec >/dev/null || fail "create-ca.sh"
  local ca_id
  ca_id=$(sha256_fingerprint "$CERTS_DIR/rootCA.pem") || fail "cannot read $CERTS_DIR/rootCA.pem"
  ok "CA in ${CERTS_DIR#"$REPO_ROOT"/}/rootCA.pem, certificate id $ca_id"

  synthesize "$ca_id"
  start_tool

  demo_step "Register the CA with auto-registration (scripts/ca/register-ca.sh)"
  local registered_id
  registered_id=$("$REPO_ROOT/scripts/ca/register-ca.sh") || fail "register-ca.sh"
  [[ $registered_id == "$ca_id" ]] \
    || fail "the CA was registered as $registered_id, but the stack was synthesized for $ca_id"
  ok "CA certificate id $registered_id, the one the stack was synthesized for"

  demo_step "Create a device (scripts/device/create-device.sh)"
  local thing device_dir cert_id
  thing=$("$REPO_ROOT/scripts/device/create-device.sh") || fail "create-device.sh"
  device_dir="$CERTS_DIR/devices/$thing"
  cert_id=$(sha256_fingerprint "$device_dir/deviceCert.crt") || fail "cannot read $device_dir/deviceCert.crt"
  ok "thing name $thing, certificate id $cert_id"

  demo_step "Onboard it: JITR over HTTPS, provisioning request, MQTT publish (scripts/device/jitr.sh)"
  "$REPO_ROOT/scripts/device/jitr.sh" --thing-name "$thing" --endpoint localhost --port "$HTTPS_PORT" \
    --mqtt-port "$MQTT_PORT" --cacert "$SERVER_CA" --timeout 90 --mqtt-timeout 60 --max-delay 4 \
    || fail "jitr.sh exited $?"
  local status things policies cert_arn="arn:aws:iot:us-east-1:000000000000:cert/$cert_id"
  status=$(local_aws iot describe-certificate --certificate-id "$cert_id" \
    --query certificateDescription.status --output text) || fail "describe-certificate"
  things=$(local_aws iot list-principal-things --principal "$cert_arn" --query 'things' --output text) \
    || fail "list-principal-things"
  policies=$(local_aws iot list-attached-policies --target "$cert_arn" --query 'policies[].policyName' \
    --output text) || fail "list-attached-policies"
  [[ $status == ACTIVE && $things == "$thing" ]] || fail "expected ACTIVE and attached to $thing, got '$status' / '$things'"
  ok "certificate $status, thing $things, policies: $policies"

  demo_step "Call the API with the device certificate (scripts/device/call-api.sh)"
  local body
  body=$("$REPO_ROOT/scripts/device/call-api.sh" --domain localhost --port "$API_PORT" --cacert "$SERVER_CA" \
    --thing-name "$thing") || fail "call-api.sh exited $?"
  [[ $(jq -r .message <<<"$body") == Good. ]] || fail "unexpected answer: $body"
  ok "$body"

  demo_step "Call the API without a certificate"
  "$REPO_ROOT/scripts/device/call-api.sh" --domain localhost --port "$API_PORT" --cacert "$SERVER_CA" \
    --without-cert || fail "the API answered a call without a client certificate"
  ok "TLS handshake refused"

  demo_step "Revoke the certificate; the API must refuse it"
  local_aws iot update-certificate --certificate-id "$cert_id" --new-status REVOKED || fail "update-certificate"
  local rc=0 tries=0
  while :; do
    rc=0
    "$REPO_ROOT/scripts/device/call-api.sh" --domain localhost --port "$API_PORT" --cacert "$SERVER_CA" \
      --thing-name "$thing" >/dev/null 2>"$DEMO_DIR/revoked-call.err" || rc=$?
    # 3: HTTP error status (the authorizer's 403); 4: refused at TLS. Either means no access.
    if [[ $rc -eq 3 || $rc -eq 4 ]]; then break; fi
    tries=$((tries + 1))
    [[ $tries -lt 20 ]] || fail "the API still accepts the revoked certificate (last exit $rc)"
    sleep 1
  done
  ok "refused after revocation ($(tail -n 1 "$DEMO_DIR/revoked-call.err"))"

  printf '\nDemo passed: the device onboarded, published over MQTT, called the API, and lost access once revoked.\n' >&2
  if [[ $KEEP -eq 1 ]]; then
    log "the local IoT Core keeps running (control plane $AWS_ENDPOINT_URL); Ctrl-C stops it"
    wait "$TOOL_PID" || true
  fi
}

main
