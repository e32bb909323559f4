# shellcheck shell=bash
# Shared helpers for the CA and device scripts. Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
#
# Sets: REPO_ROOT (absolute), CERTS_DIR (absolute; env CERTS_DIR, default <repo>/certs),
# OPENSSL_PROFILES (<repo>/openssl.conf), SCRIPT_NAME.
# Every script must define usage() before calling usage_error.
# Written for bash 3.2+ (macOS): no associative arrays, no ${x,,}, empty arrays guarded.

set -euo pipefail
# Keep set -e inside $(...) too (bash 4.4+; older bash ignores it).
shopt -s inherit_errexit 2>/dev/null || true
# Keys (and everything else we write) readable by the owner only.
umask 077

SCRIPT_NAME=${0##*/}
REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck disable=SC2034 # used by the scripts that source this file
OPENSSL_PROFILES="$REPO_ROOT/openssl.conf"

# Exit codes shared by every script.
readonly EXIT_ERROR=1
readonly EXIT_USAGE=2

log() {
  printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2
}

step() {
  printf '%s: ==> %s\n' "$SCRIPT_NAME" "$*" >&2
}

warn() {
  printf '%s: warning: %s\n' "$SCRIPT_NAME" "$*" >&2
}

# die [exit-code] message...
die() {
  local code=$EXIT_ERROR
  if [[ $# -gt 1 && $1 =~ ^[0-9]+$ ]]; then
    code=$1
    shift
  fi
  printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
  exit "$code"
}

# usage_error message: the message, the usage text, exit 2.
usage_error() {
  printf '%s: error: %s\n\n' "$SCRIPT_NAME" "$*" >&2
  usage >&2
  exit "$EXIT_USAGE"
}

# need_value option "$@": fail when an option that takes a value has none.
need_value() {
  if [[ $# -lt 2 || -z $2 || $2 == --* ]]; then
    usage_error "option $1 needs a value"
  fi
}

# Absolute form of a path given by the user (relative to the current directory).
abs_path() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd -P)" "$1" ;;
  esac
}

# CERTS_DIR: where all generated material goes. Tests and CI point it at a temporary directory.
if [[ -n ${CERTS_DIR:-} ]]; then
  CERTS_DIR=$(abs_path "$CERTS_DIR")
else
  CERTS_DIR="$REPO_ROOT/certs"
fi

install_hint() {
  case $1 in
    openssl) printf '%s' "Debian/Ubuntu: apt-get install openssl; macOS: brew install openssl@3" ;;
    curl) printf '%s' "Debian/Ubuntu: apt-get install curl; macOS: brew install curl" ;;
    aws) printf '%s' "install the AWS CLI: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html (Debian/Ubuntu: apt-get install awscli)" ;;
    mosquitto_pub) printf '%s' "Debian/Ubuntu: apt-get install mosquitto-clients; macOS: brew install mosquitto" ;;
    jq) printf '%s' "Debian/Ubuntu: apt-get install jq; macOS: brew install jq" ;;
    java) printf '%s' "Java 17 or newer: Debian/Ubuntu: apt-get install openjdk-17-jdk; macOS: brew install openjdk@17" ;;
    mvn) printf '%s' "Maven 3.8 or newer: Debian/Ubuntu: apt-get install maven; macOS: brew install maven" ;;
    node) printf '%s' "Node.js 18 or newer (the CDK library needs it to synthesize): Debian/Ubuntu: apt-get install nodejs; macOS: brew install node" ;;
    *) printf '%s' "install $1 with your package manager" ;;
  esac
}

# require_tools tool...: fail naming every missing tool and how to install it.
require_tools() {
  local tool missing=0
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      printf '%s: error: %s is required but not installed: %s\n' "$SCRIPT_NAME" "$tool" "$(install_hint "$tool")" >&2
      missing=1
    fi
  done
  if [[ $missing -ne 0 ]]; then
    exit "$EXIT_ERROR"
  fi
}

# Subject fields may come from the environment (see openssl.conf), but not empty.
check_subject_env() {
  local name
  for name in CERT_C CERT_ST CERT_L CERT_O CERT_OU; do
    if [[ -n ${!name+set} && -z ${!name} ]]; then
      die "$name is set but empty: unset it to use the default from openssl.conf, or give it a value"
    fi
  done
}

require_ca() {
  if [[ ! -f "$CERTS_DIR/rootCA.pem" || ! -f "$CERTS_DIR/rootCA.key" ]]; then
    die "no CA in $CERTS_DIR (rootCA.pem and rootCA.key): run scripts/ca/create-ca.sh first"
  fi
}

is_positive_int() {
  [[ $1 =~ ^[1-9][0-9]*$ ]]
}

is_non_negative_int() {
  [[ $1 =~ ^(0|[1-9][0-9]*)$ ]]
}

# A canonical lowercase UUID (8-4-4-4-12 hex digits), as the provisioning function expects.
is_canonical_uuid() {
  [[ $1 =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
}

# A fresh random (version 4) lowercase UUID, from openssl so no uuidgen is needed.
new_uuid() {
  local h variant
  h=$(openssl rand -hex 16)
  variant=$(( (16#${h:16:1} & 3) | 8 ))
  printf '%s-%s-4%s-%x%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" "$variant" "${h:17:3}" "${h:20:12}"
}

# run_openssl what args...: openssl args..., quiet; when it fails, exit 1 with "openssl could not <what>" and
# openssl's own reason (its first error line).
run_openssl() {
  local what=$1 err rc=0
  shift
  err=$(mktemp "${TMPDIR:-/tmp}/openssl.XXXXXX")
  openssl "$@" 2>"$err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    local reason
    reason=$(error_reason "$err")
    rm -f -- "$err"
    die "openssl could not $what: $reason"
  fi
  rm -f -- "$err"
}

# new_private_key type bits file: RSA (bits >= 2048) or EC P-256, PKCS#8 PEM, mode 600.
new_private_key() {
  local type=$1 bits=$2 out=$3
  case $type in
    rsa) run_openssl "generate the RSA key $out" genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" -out "$out" ;;
    ec) run_openssl "generate the EC key $out" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
      -pkeyopt ec_param_enc:named_curve -out "$out" ;;
    *) die "unknown key type: $type" ;;
  esac
  chmod 600 "$out"
}

# sign_device_key dir cn days ca_dir: for the key dir/deviceCert.key, a CSR with subject CN=cn (dir/deviceCert.csr),
# signed by ca_dir's rootCA.pem and rootCA.key with profile v3_device for days days (dir/deviceCert.crt, verified
# against the CA), and dir/deviceCertAndCACert.crt: the certificate followed by the CA (for JITR).
sign_device_key() {
  local dir=$1 cn=$2 days=$3 ca_dir=$4
  CERT_CN=$cn run_openssl "create the device CSR" req -new -config "$OPENSSL_PROFILES" \
    -key "$dir/deviceCert.key" -out "$dir/deviceCert.csr"
  run_openssl "sign the device certificate with the CA" x509 -req -in "$dir/deviceCert.csr" \
    -CA "$ca_dir/rootCA.pem" -CAkey "$ca_dir/rootCA.key" \
    -set_serial "$(random_serial)" -days "$days" -sha256 \
    -extfile "$OPENSSL_PROFILES" -extensions v3_device -out "$dir/deviceCert.crt"
  openssl verify -CAfile "$ca_dir/rootCA.pem" "$dir/deviceCert.crt" >/dev/null \
    || die "the new device certificate does not verify against $ca_dir/rootCA.pem"
  cat "$dir/deviceCert.crt" "$ca_dir/rootCA.pem" >"$dir/deviceCertAndCACert.crt"
}

# RSA key sizes the scripts create. 2048 is AWS's floor: AWS IoT rejects smaller keys (developerguide
# audit-chk-device-cert-key-quality.md), API Gateway mutual TLS wants "RSA-2048 or stronger"
# (rest-api-mutual-tls.md). Neither page states a ceiling; 4096 is the largest RSA size AWS Private CA
# issues (acm-pca userguide, supported-algorithms.html: RSA_2048, RSA_4096), so the largest AWS names at all.
# Beyond it a device's TLS handshake only gets slower, and key generation takes minutes.
readonly RSA_BITS_MIN=2048
readonly RSA_BITS_MAX=4096

# validate_key_type type bits: usage errors for a bad --key-type / --rsa-bits.
validate_key_type() {
  case $1 in
    rsa | ec) ;;
    *) usage_error "--key-type must be rsa or ec, not '$1'" ;;
  esac
  # At most 5 digits before any arithmetic, so a huge number cannot wrap around.
  if [[ ! $2 =~ ^[1-9][0-9]{0,4}$ ]] || [[ $2 -lt $RSA_BITS_MIN || $2 -gt $RSA_BITS_MAX ]]; then
    usage_error "--rsa-bits must be a number from $RSA_BITS_MIN to $RSA_BITS_MAX, not '$2'"
  fi
}

# reject_control_chars option value: a usage error when value holds a control character (newline, tab, ...).
reject_control_chars() {
  if [[ $2 =~ [[:cntrl:]] ]]; then
    usage_error "$1 must not contain a control character (newline, tab, ...): $(printf '%q' "$2")"
  fi
}

# A random positive 128-bit serial number for openssl -set_serial.
random_serial() {
  local hex
  hex=$(openssl rand -hex 16)
  printf '0x%s\n' "$hex"
}

# error_reason file: the first meaningful line a tool wrote to stderr (file): the first line that is neither
# blank nor openssl's progress ("Certificate request self-signature ok", "subject=..."), without curl's
# "curl: (N) " prefix. curl and openssl put the reason first and advice or detail after it (curl's (60) ends
# with "how to fix it, please visit the web page mentioned above.", openssl with its coded error stack).
error_reason() {
  local line
  line=$(grep -m 1 -v -E '^[[:space:]]*$|^(Certificate request self-signature ok|Signature ok)$|^subject=|^Getting (CA )?Private [Kk]ey' \
    "$1" 2>/dev/null) || line=""
  if [[ $line =~ ^curl:\ \([0-9]+\)\ (.*)$ ]]; then line=${BASH_REMATCH[1]}; fi
  printf '%s\n' "${line:-no reason given}"
}

# subject_cns file: the subject CN values of the first certificate in a PEM file, one a line; openssl's
# error on stderr when the file holds no readable certificate.
subject_cns() {
  local subject
  subject=$(openssl x509 -in "$1" -noout -subject -nameopt sep_multiline,sname,utf8) || return 1
  sed -n 's/^[[:space:]]*CN=//p' <<<"$subject"
}

# curl_cert_arg file: the value for curl --cert, whose syntax is "file[:password]": escape \ and :.
curl_cert_arg() {
  local v=${1//\\/\\\\}
  printf '%s\n' "${v//:/\\:}"
}

# sha256_fingerprint file: the SHA-256 fingerprint of a PEM certificate, lowercase hex without colons.
sha256_fingerprint() {
  local fp
  fp=$(openssl x509 -in "$1" -noout -fingerprint -sha256) || return 1
  fp=${fp#*=}
  fp=${fp//:/}
  printf '%s\n' "$fp" | tr '[:upper:]' '[:lower:]'
}

# AWS CLI options: collected by parse_aws_option, used by every aws call through aws_cli.
AWS_ARGS=()
AWS_ENDPOINT_URL_OPT=""
AWS_REGION_OPT=""
AWS_PROFILE_OPT=""

aws_options_help() {
  cat <<'EOF'
AWS options (used for every AWS call):
  --endpoint-url URL    AWS IoT endpoint override, e.g. http://127.0.0.1:4566 for the local IoT Core
                        (default: $AWS_ENDPOINT_URL_IOT, then $AWS_ENDPOINT_URL)
  --region REGION       AWS region (default: $AWS_REGION, then $AWS_DEFAULT_REGION, then the CLI config)
  --profile PROFILE     AWS CLI profile (default: $AWS_PROFILE, then the CLI default)
EOF
}

# finish_aws_options: turn the AWS options and environment into AWS_ARGS.
finish_aws_options() {
  local endpoint=${AWS_ENDPOINT_URL_OPT:-${AWS_ENDPOINT_URL_IOT:-${AWS_ENDPOINT_URL:-}}}
  local region=${AWS_REGION_OPT:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}
  local profile=${AWS_PROFILE_OPT:-${AWS_PROFILE:-}}
  AWS_ARGS=()
  if [[ -n $endpoint ]]; then AWS_ARGS+=(--endpoint-url "$endpoint"); fi
  if [[ -n $region ]]; then AWS_ARGS+=(--region "$region"); fi
  if [[ -n $profile ]]; then AWS_ARGS+=(--profile "$profile"); fi
}

# aws_iot subcommand args...: JSON on stdout, the CLI's error on stderr.
aws_iot() {
  AWS_PAGER="" aws ${AWS_ARGS[@]+"${AWS_ARGS[@]}"} --output json iot "$@"
}

# jq definitions for a timestamp as the AWS CLI prints it: epoch seconds (CLI v1's default) or ISO 8601 with an
# offset (v2's). epoch: in epoch seconds; utc: as ISO 8601 in UTC, seconds, "Z" (the same whichever CLI printed it).
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly JQ_TIME='def epoch: if type == "number" then floor
  else sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z") | fromdateiso8601 end;
def utc: epoch | todate;'

# make_work_dir [parent]: a private scratch folder, removed on exit; inside parent when given (same
# file system, so results can be moved into place atomically), else in $TMPDIR.
# Sets WORK_DIR; call it directly, not in $(...).
WORK_DIR=""
cleanup_work_dir() {
  if [[ -n $WORK_DIR ]]; then rm -rf -- "$WORK_DIR"; fi
}
make_work_dir() {
  if [[ -n ${1:-} ]]; then
    mkdir -p "$1"
    WORK_DIR=$(mktemp -d "$1/.work.XXXXXX")
  else
    WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/iot-onboarding.XXXXXX")
  fi
  trap cleanup_work_dir EXIT
}

# The device registry table (DynamoDB; docs/contracts.md, "Device registry"): its name and endpoint, collected by
# the scripts' --table and --dynamodb-endpoint-url options, used by every DynamoDB call through aws_ddb.
REGISTRY_TABLE_OPT=""
DYNAMODB_ENDPOINT_URL_OPT=""
REGISTRY_TABLE=""
DDB_ARGS=()

registry_options_help() {
  cat <<'EOF2'
Device registry options (the DynamoDB table the stack's functions and the API authorizer read):
  --table NAME            the table (default: $DEVICE_REGISTRY_TABLE; the stack output DeviceRegistryTableName)
  --dynamodb-endpoint-url URL
                          DynamoDB endpoint override (default: $AWS_ENDPOINT_URL_DYNAMODB, then --endpoint-url,
                          then $AWS_ENDPOINT_URL); --region and --profile as for the AWS calls
EOF2
}

# is_table_name name: a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -).
is_table_name() {
  [[ $1 =~ ^[a-zA-Z0-9_.-]{3,255}$ ]]
}

# finish_registry_options: REGISTRY_TABLE (empty: no table given) and DDB_ARGS; a usage error for a bad name.
# Call after finish_aws_options.
finish_registry_options() {
  REGISTRY_TABLE=${REGISTRY_TABLE_OPT:-${DEVICE_REGISTRY_TABLE:-}}
  if [[ -n $REGISTRY_TABLE ]] && ! is_table_name "$REGISTRY_TABLE"; then
    usage_error "the table name must be 3 to 255 of a-z A-Z 0-9 _ . -, not '$REGISTRY_TABLE'"
  fi
  local endpoint=${DYNAMODB_ENDPOINT_URL_OPT:-${AWS_ENDPOINT_URL_DYNAMODB:-${AWS_ENDPOINT_URL_OPT:-${AWS_ENDPOINT_URL:-}}}}
  local region=${AWS_REGION_OPT:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}
  local profile=${AWS_PROFILE_OPT:-${AWS_PROFILE:-}}
  DDB_ARGS=()
  if [[ -n $endpoint ]]; then DDB_ARGS+=(--endpoint-url "$endpoint"); fi
  if [[ -n $region ]]; then DDB_ARGS+=(--region "$region"); fi
  if [[ -n $profile ]]; then DDB_ARGS+=(--profile "$profile"); fi
}

# aws_ddb subcommand args...: JSON on stdout, the CLI's error on stderr.
aws_ddb() {
  AWS_PAGER="" aws ${DDB_ARGS[@]+"${DDB_ARGS[@]}"} --output json dynamodb "$@"
}

# now_millis: the time, epoch milliseconds (the registry's unit).
now_millis() {
  local ns
  ns=$(date -u +%s%N 2>/dev/null) || ns=""
  if [[ $ns =~ ^[0-9]{19}$ ]]; then
    printf '%s\n' "${ns:0:13}"
  else
    printf '%s000\n' "$(date -u +%s)"
  fi
}

# registry_write_certificate id step status [unbind]: the certificate item cert#<id> after an IoT write the caller
# observed succeed: step, updatedAt = now, status (unless empty), reason removed and, with unbind, boundThing removed, by UpdateItem
# with the registry's condition (attribute_not_exists(pk) OR updatedAt <= now). A failed condition means someone
# recorded newer state: success. Any other failure returns 1 with the CLI's error in $REGISTRY_ERR. Needs WORK_DIR.
REGISTRY_ERR=""
registry_write_certificate() {
  local id=$1 step=$2 status=$3 unbind=${4:-} now expression values names
  now=$(now_millis)
  expression='SET #kind = :kind, #certificateId = :id, #step = :step, #updatedAt = :now'
  names='{"#pk":"pk","#kind":"kind","#certificateId":"certificateId","#step":"step","#updatedAt":"updatedAt"'
  if [[ -n $status ]]; then
    expression+=', #status = :status'
    names+=',"#status":"status"'
  fi
  # A step without a reason removes the previous step's (docs/contracts.md).
  expression+=' REMOVE #reason'
  names+=',"#reason":"reason"'
  if [[ -n $unbind ]]; then
    expression+=', #boundThing'
    names+=',"#boundThing":"boundThing"'
  fi
  names+='}'
  values=$(jq -cn --arg id "$id" --arg status "$status" --arg step "$step" --arg now "$now" \
    '{":kind": {S: "CERTIFICATE"}, ":id": {S: $id}, ":step": {S: $step}, ":now": {N: $now}}
     + (if $status == "" then {} else {":status": {S: $status}} end)')
  REGISTRY_ERR="${WORK_DIR:?}/registry.err"
  if aws_ddb update-item --table-name "$REGISTRY_TABLE" --key "{\"pk\":{\"S\":\"cert#$id\"}}" \
    --update-expression "$expression" \
    --condition-expression 'attribute_not_exists(#pk) OR #updatedAt <= :now' \
    --expression-attribute-names "$names" --expression-attribute-values "$values" >/dev/null 2>"$REGISTRY_ERR"; then
    return 0
  fi
  grep -q '(ConditionalCheckFailedException)' "$REGISTRY_ERR"
}
