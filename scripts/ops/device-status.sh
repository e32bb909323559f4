#!/usr/bin/env bash
# Show where a device stands: its thing (type, attributes, version), its thing groups, its certificates (status,
# CA, expiry) and their policies. Reads only.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly EXIT_NO_THING=3

usage() {
  cat <<EOF
Usage: scripts/ops/device-status.sh --thing-name T [options]

Print device T as AWS IoT holds it, read-only:
  thing        aws iot describe-thing: name, thing type, version, attributes (one name=value a line; those of
               the stack's thingAttributes come from the certificate, renewalAnnouncement from a renewal)
  groups       aws iot list-thing-groups-for-thing: the thing groups T is in
  certificate  for each principal of aws iot list-thing-principals: aws iot describe-certificate (id, status,
               CA, notAfter) and aws iot list-attached-policies (its policies)
A thing without certificates, groups or attributes says so.

Options:
  --thing-name T          the thing (1 to 128 of a-z A-Z 0-9 : _ -)
  -h, --help              show this help

$(aws_options_help)
Needs: iot:DescribeThing, iot:ListThingGroupsForThing, iot:ListThingPrincipals (thing/T);
iot:DescribeCertificate (cert/<id>); iot:ListAttachedPolicies (*).

Exit codes:
  0  printed
  1  error (missing tool, an AWS call failed)
  2  bad arguments
  3  no thing T
EOF
}

thing=""
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --thing-name) need_value "$@"; thing=$2; shift 2 ;;
    --endpoint-url) need_value "$@"; AWS_ENDPOINT_URL_OPT=$2; shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

[[ -n $thing ]] || usage_error "--thing-name is required"
[[ $thing =~ ^[a-zA-Z0-9:_-]{1,128}$ ]] \
  || usage_error "--thing-name must be an IoT thing name (1 to 128 of a-z A-Z 0-9 : _ -), not '$thing'"
finish_aws_options
require_tools aws jq

# call subcommand args...: aws iot subcommand args..., its JSON on stdout; exit 1 with the CLI's reason on failure.
call() {
  aws_iot "$@" 2>"$WORK_DIR/aws.err" || die "aws iot $1 failed: $(error_reason "$WORK_DIR/aws.err")"
}

# show_certificate principal: a certificate's id, status, CA, notAfter and policies (another principal: its ARN).
show_certificate() {
  local principal=$1 id description policies
  if [[ ! $principal =~ :cert/([0-9a-f]{64})$ ]]; then
    printf 'principal %s\n' "$principal"
    return
  fi
  id=${BASH_REMATCH[1]}
  description=$(call describe-certificate --certificate-id "$id")
  jq -r '.certificateDescription | "certificate \(.certificateId)", "  status: \(.status)",
    "  ca: \(.caCertificateId // "(none)")", "  notAfter: \(.validity.notAfter // "(unknown)")"' <<<"$description"
  policies=$(call list-attached-policies --target "$principal")
  jq -r '"  policies: " + (if (.policies // []) == [] then "(none)" else [.policies[].policyName] | join(" ") end)' \
    <<<"$policies"
}

main() {
  make_work_dir ""
  local thing_json groups principals principal
  if ! thing_json=$(aws_iot describe-thing --thing-name "$thing" 2>"$WORK_DIR/aws.err"); then
    if grep -q "(ResourceNotFoundException)" "$WORK_DIR/aws.err"; then
      log "there is no thing named $thing"
      exit "$EXIT_NO_THING"
    fi
    die "aws iot describe-thing failed: $(error_reason "$WORK_DIR/aws.err")"
  fi
  jq -r '"thing \(.thingName)", "  type: \(.thingTypeName // "(none)")", "  version: \(.version)",
    (if (.attributes // {}) == {} then "  attributes: (none)"
     else "  attributes:", (.attributes | to_entries[] | "    \(.key)=\(.value)") end)' <<<"$thing_json"
  groups=$(call list-thing-groups-for-thing --thing-name "$thing")
  jq -r '"groups: " + (if (.thingGroups // []) == [] then "(none)" else [.thingGroups[].groupName] | join(" ") end)' \
    <<<"$groups"
  principals=$(call list-thing-principals --thing-name "$thing")
  principals=$(jq -r '.principals[]?' <<<"$principals")
  if [[ -z $principals ]]; then
    printf 'certificates: (none)\n'
    return
  fi
  while IFS= read -r principal; do
    show_certificate "$principal"
  done <<<"$principals"
}

main
