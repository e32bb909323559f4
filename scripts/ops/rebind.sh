#!/usr/bin/env bash
# Operator override of a certificate renewal: let a new certificate take a thing over when the device's old key
# is lost (so the device cannot announce the new certificate itself), with an audit line.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly MAX_REASON_LENGTH=256

usage() {
  cat <<EOF
Usage: scripts/ops/rebind.sh --thing-name NAME --certificate-id ID [--reason TEXT] [options]

Re-bind a thing to a new certificate without proof of the old key: the operator's override of a renewal
(docs/operations.md, "Renew a device certificate"). Use it when the device lost its old key; a device that
still has it renews with scripts/device/jitr.sh --renew instead.
  1. who: aws sts get-caller-identity (its Arn; "unknown" with a warning when it fails);
  2. aws iot describe-thing: the thing must exist;
  3. aws iot update-thing --attribute-payload with merge: the renewal announcement, one attribute
     renewalAnnouncement=<ID>:operator:<now, epoch seconds> (a thing without a thing type has at most three
     attributes: one that has three others already refuses it);
  4. the audit line on stdout (one JSON object: audit, action, thingName, certificateId, by, at, reason).
Then the device onboards the new certificate with plain scripts/device/jitr.sh, within the stack's
renewalWindowHours: provisioning attaches it to the thing, retires the old certificate (INACTIVE unless
REVOKED, policies detached, detached from the thing) and logs its own audit line (WARN, "audit": true).
The new certificate must be one the CA issued for this thing (subject CN = the thing name): provisioning
refuses any other. Running it again records the announcement again, with a new time.

Options:
  --thing-name NAME       the thing to re-bind (required)
  --certificate-id ID     the new certificate's id: 64 lowercase hex digits, the SHA-256 of its DER, as
                          scripts/device/renew-device.sh prints it (required)
  --reason TEXT           why, for the audit line (at most $MAX_REASON_LENGTH characters; default: none given)
  -h, --help              show this help

$(aws_options_help)
  (The caller identity is asked of STS with --region and --profile only: --endpoint-url is for IoT.)
Needs: iot:DescribeThing and iot:UpdateThing on the thing; sts:GetCallerIdentity.

Exit codes: 0 recorded, 1 error (no such thing, an AWS call failed), 2 bad arguments.
EOF
}

thing_name="" certificate_id="" reason=""
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --thing-name) need_value "$@"; thing_name=$2; shift 2 ;;
    --certificate-id) need_value "$@"; certificate_id=$2; shift 2 ;;
    --reason) need_value "$@"; reason=$2; shift 2 ;;
    --endpoint-url) need_value "$@"; AWS_ENDPOINT_URL_OPT=$2; shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

[[ -n $thing_name ]] || usage_error "--thing-name is required"
[[ $thing_name =~ ^[a-zA-Z0-9:_-]{1,128}$ ]] \
  || usage_error "--thing-name must be an IoT thing name (1 to 128 of a-z A-Z 0-9 : _ -), not '$thing_name'"
[[ -n $certificate_id ]] || usage_error "--certificate-id is required"
[[ $certificate_id =~ ^[0-9a-f]{64}$ ]] \
  || usage_error "--certificate-id must be 64 lowercase hex digits (a certificate id), not '$certificate_id'"
reject_control_chars --reason "$reason"
[[ ${#reason} -le $MAX_REASON_LENGTH ]] || usage_error "--reason is longer than $MAX_REASON_LENGTH characters"
finish_aws_options
require_tools aws

# json_string value: a JSON string literal (the value has no control characters).
json_string() {
  local v=${1//\\/\\\\}
  printf '"%s"' "${v//\"/\\\"}"
}

# The caller's identity, asked of STS with the region and profile only (an IoT endpoint override is not STS).
caller_identity() {
  local args=() out err="$WORK_DIR/sts.err" arn
  if [[ -n ${AWS_REGION_OPT:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}} ]]; then
    args+=(--region "${AWS_REGION_OPT:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}")
  fi
  if [[ -n ${AWS_PROFILE_OPT:-${AWS_PROFILE:-}} ]]; then
    args+=(--profile "${AWS_PROFILE_OPT:-${AWS_PROFILE:-}}")
  fi
  if out=$(AWS_PAGER="" aws ${args[@]+"${args[@]}"} --output json sts get-caller-identity 2>"$err"); then
    arn=$(sed -n 's/.*"Arn"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$out")
  fi
  if [[ -z ${arn:-} ]]; then
    warn "aws sts get-caller-identity failed ($(error_reason "$err")): the audit line says by=unknown;" \
      "CloudTrail still records the caller of UpdateThing"
    arn="unknown"
  fi
  printf '%s\n' "$arn"
}

main() {
  make_work_dir ""
  local who at err="$WORK_DIR/aws.err"
  step "who: aws sts get-caller-identity"
  who=$(caller_identity)
  step "checking the thing $thing_name (aws iot describe-thing)"
  if ! aws_iot describe-thing --thing-name "$thing_name" >/dev/null 2>"$err"; then
    if grep -q ResourceNotFoundException "$err"; then
      die "there is no thing named $thing_name"
    fi
    die "aws iot describe-thing failed: $(error_reason "$err")"
  fi
  at=$(date -u +%s)
  step "recording the override on $thing_name (aws iot update-thing, merge)"
  aws_iot update-thing --thing-name "$thing_name" --attribute-payload \
    "{\"attributes\":{\"renewalAnnouncement\":\"$certificate_id:operator:$at\"},\"merge\":true}" \
    >/dev/null 2>"$err" || die "aws iot update-thing failed: $(error_reason "$err")"
  log "recorded: the certificate $certificate_id may take $thing_name over when it onboards through JITR"
  log "next, on the device: scripts/device/jitr.sh with the new certificate's files"
  printf '{"audit":true,"action":"rebind","thingName":%s,"certificateId":%s,"by":%s,"at":%s,"reason":%s}\n' \
    "$(json_string "$thing_name")" "$(json_string "$certificate_id")" "$(json_string "$who")" \
    "$(json_string "$(date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$at" +%Y-%m-%dT%H:%M:%SZ)")" \
    "$(json_string "$reason")"
}

main
