#!/usr/bin/env bash
# Register the private root CA with AWS IoT for just-in-time registration (JITR).
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly EXIT_CA_NOT_ACTIVE=3

usage() {
  cat <<EOF
Usage: scripts/ca/register-ca.sh [options]

Register \$CERTS_DIR/rootCA.pem with AWS IoT as an ACTIVE CA with auto-registration (JITR) enabled:
  1. aws iot get-registration-code
  2. a verification key, CSR and certificate whose CN is the registration code, signed by the CA
  3. aws iot register-ca-certificate --set-as-active --allow-auto-registration
  4. the verification key is deleted (registered or not): a certificate the CA signed must never serve
     to connect as a device
The CA certificate id is printed on stdout (nothing else is) and saved to \$CERTS_DIR/caCertificateId;
pass it to the stack: cdk deploy -c caCertificateId=<id>

Idempotent: when this CA is already registered (found through \$CERTS_DIR/caCertificateId or
list-ca-certificates, compared by SHA-256 fingerprint), nothing is registered again and its id is printed.

Files written (CERTS_DIR defaults to <repository>/certs):
  \$CERTS_DIR/caCertificateId         the CA certificate id
  \$CERTS_DIR/verificationCert.csr    verification CSR (its key lives in a scratch folder, deleted on exit;
                                      a verificationCert.key left by an older version is deleted too)
  \$CERTS_DIR/verificationCert.pem    verification certificate (CN = registration code)

Options:
  --days N              validity of the verification certificate in days (default: 30)
  -h, --help            show this help

$(aws_options_help)

Exit codes:
  0  registered, or already registered, ACTIVE and with auto-registration enabled
  1  error (no CA, AWS call failed, ...)
  2  bad arguments
  3  the CA is registered but not ACTIVE or without auto-registration (e.g. deactivated after a
     compromise): nothing is changed; re-enable it deliberately with aws iot update-ca-certificate
EOF
}

days=30
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --days) need_value "$@"; days=$2; shift 2 ;;
    --endpoint-url) need_value "$@"; AWS_ENDPOINT_URL_OPT=$2; shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
is_positive_int "$days" || usage_error "--days must be a positive number, not '$days'"
finish_aws_options

require_tools openssl aws jq
check_subject_env
require_ca

ca_pem="$CERTS_DIR/rootCA.pem"
ca_key="$CERTS_DIR/rootCA.key"
id_file="$CERTS_DIR/caCertificateId"
ca_fingerprint=$(sha256_fingerprint "$ca_pem") || die "$ca_pem is not a readable PEM certificate"

# describe_ca id: prints the description JSON; returns 3 when IoT does not know the id.
describe_ca() {
  local out err rc=0
  err=$(mktemp)
  out=$(aws_iot describe-ca-certificate --certificate-id "$1" 2>"$err") || rc=$?
  if [[ $rc -ne 0 ]]; then
    if grep -q 'ResourceNotFoundException' "$err"; then
      rm -f "$err"
      return 3
    fi
    cat "$err" >&2
    rm -f "$err"
    die "aws iot describe-ca-certificate failed for $1 (exit $rc): check credentials, region and endpoint"
  fi
  rm -f "$err"
  printf '%s\n' "$out"
}

# matches_local_ca description-json: is it our rootCA.pem (same SHA-256 fingerprint)?
matches_local_ca() {
  local pem_file fp
  pem_file=$(mktemp)
  jq -r '.certificateDescription.certificatePem // empty' <<<"$1" >"$pem_file"
  fp=$(sha256_fingerprint "$pem_file" 2>/dev/null) || fp=""
  rm -f "$pem_file"
  [[ -n $fp && $fp == "$ca_fingerprint" ]]
}

readonly NOT_REGISTERED=4

# find_registered_ca: prints "<id> <status> <autoRegistrationStatus>" and returns 0 when this CA is
# registered; returns NOT_REGISTERED when it is not; any other status is an error already reported.
find_registered_ca() {
  local id desc rc ids
  if [[ -f $id_file ]]; then
    id=$(tr -d '[:space:]' <"$id_file")
    if [[ -n $id && ! $id =~ ^[0-9a-f]{64}$ ]]; then
      warn "$id_file holds '${id:0:80}', which is not a CA certificate id (64 hex digits); looking the CA up"
    elif [[ -n $id ]]; then
      rc=0
      desc=$(describe_ca "$id") || rc=$?
      if [[ $rc -eq 0 ]] && matches_local_ca "$desc"; then
        describe_summary "$desc"
        return 0
      elif [[ $rc -ne 0 && $rc -ne 3 ]]; then
        return "$rc"
      fi
      warn "$id_file names $id, which is not this CA in AWS IoT; looking it up"
    fi
  fi
  rc=0
  ids=$(aws_iot list-ca-certificates) || rc=$?
  if [[ $rc -ne 0 ]]; then
    log "error: aws iot list-ca-certificates failed (exit $rc): check credentials, region and endpoint"
    return 1
  fi
  ids=$(jq -r '.certificates[]?.certificateId' <<<"$ids") || return 1
  for id in $ids; do
    rc=0
    desc=$(describe_ca "$id") || rc=$?
    if [[ $rc -eq 0 ]] && matches_local_ca "$desc"; then
      describe_summary "$desc"
      return 0
    elif [[ $rc -ne 0 && $rc -ne 3 ]]; then
      return "$rc"
    fi
  done
  return "$NOT_REGISTERED"
}

describe_summary() {
  jq -r '.certificateDescription | "\(.certificateId) \(.status) \(.autoRegistrationStatus)"' <<<"$1"
}

# lookup_or_continue: exits (through report_existing) when this CA is registered, returns when not.
lookup_or_continue() {
  local existing rc=0
  existing=$(find_registered_ca) || rc=$?
  if [[ $rc -eq 0 ]]; then
    report_existing "$existing"
  elif [[ $rc -ne $NOT_REGISTERED ]]; then
    exit "$rc"
  fi
}

save_and_print_id() {
  printf '%s\n' "$1" >"$id_file"
  log "CA certificate id saved to $id_file"
  log "deploy the stack with: cdk deploy -c caCertificateId=$1"
  printf '%s\n' "$1"
}

# report_existing "id status autoRegistration": exit 0 when usable for JITR, 3 otherwise.
report_existing() {
  local id status auto
  read -r id status auto <<<"$1"
  if [[ $status != ACTIVE || $auto != ENABLE ]]; then
    printf '%s\n' "$id" >"$id_file"
    die "$EXIT_CA_NOT_ACTIVE" "this CA is registered as $id but its status is $status and auto-registration is $auto." \
      "JITR needs ACTIVE and ENABLE. If it was deactivated on purpose (e.g. a CA compromise), create a new CA." \
      "Otherwise: aws iot update-ca-certificate --certificate-id $id --new-status ACTIVE --new-auto-registration-status ENABLE"
  fi
  log "this CA is already registered with AWS IoT (ACTIVE, auto-registration enabled)"
  save_and_print_id "$id"
  exit 0
}

# The verification key stays in the scratch folder $2 (removed on exit); the CSR and certificate go to CERTS_DIR.
make_verification_certificate() {
  local code=$1 work=$2
  new_private_key rsa 2048 "$work/verificationCert.key"
  CERT_CN=$code run_openssl "create the verification CSR" req -new -config "$OPENSSL_PROFILES" \
    -key "$work/verificationCert.key" -out "$work/verificationCert.csr"
  run_openssl "sign the verification certificate with the CA" x509 -req -in "$work/verificationCert.csr" \
    -CA "$ca_pem" -CAkey "$ca_key" -set_serial "$(random_serial)" -days "$days" -sha256 \
    -extfile "$OPENSSL_PROFILES" -extensions v3_verification -out "$work/verificationCert.pem"
  local f
  for f in verificationCert.csr verificationCert.pem; do
    mv "$work/$f" "$CERTS_DIR/$f"
  done
}

# delete_verification_key file what: the verification certificate is signed by the CA, so its key could
# connect (and be auto-registered) like a device's: it must not outlive the registration.
delete_verification_key() {
  if [[ -e $1 ]]; then
    rm -f -- "$1"
    log "deleted $2"
  fi
}

main() {
  delete_verification_key "$CERTS_DIR/verificationCert.key" \
    "$CERTS_DIR/verificationCert.key, left by an earlier run (a verification key must never serve to connect)"
  step "looking for this CA in AWS IoT (SHA-256 $ca_fingerprint)"
  lookup_or_continue

  step "getting the registration code"
  local code
  code=$(aws_iot get-registration-code | jq -r '.registrationCode // empty') \
    || die "aws iot get-registration-code failed: check credentials, region and endpoint"
  [[ -n $code ]] || die "aws iot get-registration-code returned no registrationCode"

  step "creating the verification certificate (CN = registration code, signed by the CA)"
  make_work_dir "$CERTS_DIR"
  make_verification_certificate "$code" "$WORK_DIR"

  step "registering the CA (active, auto-registration enabled)"
  local out err rc=0
  err="$WORK_DIR/register.err"
  out=$(aws_iot register-ca-certificate \
    --ca-certificate "file://$ca_pem" \
    --verification-certificate "file://$CERTS_DIR/verificationCert.pem" \
    --set-as-active --allow-auto-registration 2>"$err") || rc=$?
  delete_verification_key "$WORK_DIR/verificationCert.key" \
    "the verification key: it only proved that we hold the CA key and must never serve to connect"
  if [[ $rc -ne 0 ]]; then
    if grep -q 'ResourceAlreadyExistsException' "$err"; then
      log "AWS IoT says this CA is already registered; looking it up"
      lookup_or_continue
    fi
    cat "$err" >&2
    die "aws iot register-ca-certificate failed (exit $rc)"
  fi

  local id
  id=$(jq -r '.certificateId // empty' <<<"$out")
  [[ $id =~ ^[0-9A-Za-z]+$ ]] || die "aws iot register-ca-certificate returned no usable certificateId"
  log "registered the CA with AWS IoT: $id"
  save_and_print_id "$id"
}

main
