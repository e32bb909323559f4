#!/usr/bin/env bash
# Report, per registered CA, its status and the devices that hold its certificates.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

usage() {
  cat <<EOF
Usage: scripts/ca/ca-report.sh [--ca-certificate-id ID ...] [options]

Prints one tab-separated line per CA, after a header line, on stdout:
  caCertificateId  status  caNotAfter  activeCertificates  devices  soonestExpiry
  status              the CA's status in AWS IoT (ACTIVE, INACTIVE)
  caNotAfter          when the CA certificate itself expires (UTC, ISO 8601)
  activeCertificates  ACTIVE device certificates the CA signed (list-certificates-by-ca)
  devices             those of them attached to a thing (list-principal-things)
  soonestExpiry       the earliest notAfter among the ACTIVE certificates ("-" when there are none)
It makes one describe-certificate and one list-principal-things call per ACTIVE certificate: on a large
fleet, mind the account's request-rate quotas (10/s each by default).

Options:
  --ca-certificate-id ID   a CA to report on (64 lowercase hex characters); repeat for several
                           (default: every CA registered in the account and region, list-ca-certificates)
  -h, --help               show this help

$(aws_options_help)

Exit codes: 0 reported, 1 error (an AWS call failed, a CA is not registered), 2 bad arguments.
EOF
}

ca_ids=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --ca-certificate-id)
      need_value "$@"
      [[ $2 =~ ^[0-9a-f]{64}$ ]] || usage_error "--ca-certificate-id must be 64 lowercase hex characters, not '$2'"
      ca_ids+=("$2")
      shift 2
      ;;
    --endpoint-url) need_value "$@"; AWS_ENDPOINT_URL_OPT=$2; shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
finish_aws_options
require_tools aws jq

# call what args...: aws iot args..., its JSON on stdout; on failure the CLI's error and exit 1.
call() {
  local what=$1 out err rc=0
  shift
  err=$(mktemp "${TMPDIR:-/tmp}/ca-report.XXXXXX")
  out=$(aws_iot "$@" 2>"$err") || rc=$?
  if [[ $rc -ne 0 ]]; then
    if grep -q 'ResourceNotFoundException' "$err"; then
      rm -f "$err"
      die "$what: AWS IoT has no such resource (is the CA id right, and the region?)"
    fi
    cat "$err" >&2
    rm -f "$err"
    die "$what failed (exit $rc): check credentials, region and endpoint"
  fi
  rm -f "$err"
  printf '%s\n' "$out"
}

iso() {
  jq -r '. | strftime("%Y-%m-%dT%H:%M:%SZ")' <<<"$1"
}

report_ca() {
  local ca=$1 description status ca_not_after certificates active=0 devices=0 soonest="" arn id things not_after
  description=$(call "describe-ca-certificate $ca" describe-ca-certificate --certificate-id "$ca")
  status=$(jq -r '.certificateDescription.status' <<<"$description")
  ca_not_after=$(jq -r "$JQ_TIME"' .certificateDescription.validity.notAfter | epoch' <<<"$description")
  certificates=$(call "list-certificates-by-ca $ca" list-certificates-by-ca --ca-certificate-id "$ca")
  while read -r id arn; do
    [[ -n $id ]] || continue
    active=$((active + 1))
    things=$(call "list-principal-things $id" list-principal-things --principal "$arn")
    if [[ $(jq '.things | length' <<<"$things") -gt 0 ]]; then
      devices=$((devices + 1))
    fi
    not_after=$(call "describe-certificate $id" describe-certificate --certificate-id "$id" \
      | jq -r "$JQ_TIME"' .certificateDescription.validity.notAfter | epoch')
    if [[ -z $soonest || $not_after -lt $soonest ]]; then
      soonest=$not_after
    fi
  done < <(jq -r '.certificates[]? | select(.status == "ACTIVE") | "\(.certificateId) \(.certificateArn)"' \
    <<<"$certificates")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$ca" "$status" "$(iso "$ca_not_after")" "$active" "$devices" \
    "$(if [[ -n $soonest ]]; then iso "$soonest"; else printf -- '-'; fi)"
}

main() {
  if [[ ${#ca_ids[@]} -eq 0 ]]; then
    local listed
    listed=$(call "list-ca-certificates" list-ca-certificates | jq -r '.certificates[]?.certificateId')
    for id in $listed; do
      ca_ids+=("$id")
    done
    [[ ${#ca_ids[@]} -gt 0 ]] || die "no CA is registered in this account and region: run scripts/ca/register-ca.sh"
  fi
  printf 'caCertificateId\tstatus\tcaNotAfter\tactiveCertificates\tdevices\tsoonestExpiry\n'
  local ca
  for ca in "${ca_ids[@]}"; do
    report_ca "$ca"
  done
}

main
