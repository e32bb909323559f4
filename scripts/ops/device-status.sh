#!/usr/bin/env bash
# Show where a device stands: its thing (type, attributes, version), its thing groups, its certificates (status,
# CA, expiry) and their policies; with the device registry table, what the table says, the differences and the
# last step that touched the device. Reads only.
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
With the device registry table (--table or \$DEVICE_REGISTRY_TABLE), then:
  registry     the items of T (aws dynamodb query, index byThing), and the item of each certificate IoT lists
               for T: its allow-list entry, and for each certificate status, boundThing, step, reason, updatedAt
  differences  where the table and IoT disagree, per certificate: status, and the thing it is bound to
               (a certificate the table names but T does not list is asked of IoT: describe-certificate,
               list-principal-things); "none" when they agree
  last step    the newest item's step and time: the function or script that last touched the device
The API authorizer decides from the table alone: a difference is why IoT and the API disagree about a
device. The CloudTrail sync and the reconciler repair differences; so does running the step again.

Options:
  --thing-name T          the thing (1 to 128 of a-z A-Z 0-9 : _ -)
  -h, --help              show this help

$(aws_options_help)
$(registry_options_help)
Needs: iot:DescribeThing, iot:ListThingGroupsForThing, iot:ListThingPrincipals (thing/T);
iot:DescribeCertificate, iot:ListPrincipalThings (cert/<id>); iot:ListAttachedPolicies (*); with a table,
dynamodb:Query (its index byThing) and dynamodb:GetItem (the table).

Exit codes:
  0  printed
  1  error (missing tool, an AWS call failed)
  2  bad arguments
  3  no thing T (with a table, what the table holds of T is printed first)
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
    --table) need_value "$@"; REGISTRY_TABLE_OPT=$2; shift 2 ;;
    --dynamodb-endpoint-url) need_value "$@"; DYNAMODB_ENDPOINT_URL_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

[[ -n $thing ]] || usage_error "--thing-name is required"
[[ $thing =~ ^[a-zA-Z0-9:_-]{1,128}$ ]] \
  || usage_error "--thing-name must be an IoT thing name (1 to 128 of a-z A-Z 0-9 : _ -), not '$thing'"
finish_aws_options
finish_registry_options
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
  jq -r --arg t "$thing" '.certificateDescription | [.certificateId, .status, $t] | @tsv' <<<"$description" \
    >>"$WORK_DIR/iot.tsv"
  jq -r "$JQ_TIME"' .certificateDescription | "certificate \(.certificateId)", "  status: \(.status)",
    "  ca: \(.caCertificateId // "(none)")",
    "  notAfter: \(if .validity.notAfter == null then "(unknown)" else .validity.notAfter | utc end)"' <<<"$description"
  policies=$(call list-attached-policies --target "$principal")
  jq -r '"  policies: " + (if (.policies // []) == [] then "(none)" else [.policies[].policyName] | join(" ") end)' \
    <<<"$policies"
}

# ddb subcommand args...: aws dynamodb subcommand args..., its JSON on stdout; exit 1 with the CLI's reason.
ddb() {
  aws_ddb "$@" 2>"$WORK_DIR/aws.err" || die "aws dynamodb $1 failed: $(error_reason "$WORK_DIR/aws.err")"
}

# iot_view id: "status<TAB>bound thing" of a certificate T does not list, as IoT says (DELETED when unknown).
iot_view() {
  local out arn things
  if ! out=$(aws_iot describe-certificate --certificate-id "$1" 2>"$WORK_DIR/aws.err"); then
    if grep -q "(ResourceNotFoundException)" "$WORK_DIR/aws.err"; then
      printf 'DELETED\t\n'
      return
    fi
    die "aws iot describe-certificate failed: $(error_reason "$WORK_DIR/aws.err")"
  fi
  arn=$(jq -r '.certificateDescription.certificateArn' <<<"$out")
  things=$(call list-principal-things --principal "$arn")
  printf '%s\t%s\n' "$(jq -r '.certificateDescription.status' <<<"$out")" \
    "$(jq -r '.things // [] | join(",")' <<<"$things")"
}

# show_registry: the registry section, the differences with IoT ($WORK_DIR/iot.tsv) and the last step.
show_registry() {
  local items id item
  items=$(ddb query --table-name "$REGISTRY_TABLE" --index-name byThing \
    --key-condition-expression "thingName = :t" --expression-attribute-values "{\":t\":{\"S\":\"$thing\"}}")
  jq -c '.Items[]?' <<<"$items" >"$WORK_DIR/items.jsonl"
  # Certificates IoT lists for T whose item does not name T (or that have none).
  while IFS=$'\t' read -r id _; do
    [[ -n $id ]] || continue
    if ! grep -qF "\"cert#$id\"" "$WORK_DIR/items.jsonl"; then
      item=$(ddb get-item --table-name "$REGISTRY_TABLE" --key "{\"pk\":{\"S\":\"cert#$id\"}}")
      if [[ -z $item ]]; then item="{}"; fi # no item: the CLI prints nothing
      jq -c --arg id "$id" '.Item // {pk: {S: "cert#\($id)"}, missing: {BOOL: true}}' <<<"$item" \
        >>"$WORK_DIR/items.jsonl"
    fi
  done <"$WORK_DIR/iot.tsv"
  # IoT's view of the certificates the table names for T that T does not list.
  while IFS= read -r id; do
    [[ -n $id ]] || continue
    if ! grep -q "^$id"$'\t' "$WORK_DIR/iot.tsv"; then
      printf '%s\t%s\n' "$id" "$(iot_view "$id")" >>"$WORK_DIR/iot.tsv"
    fi
  done < <(jq -r 'select(.pk.S | startswith("cert#")) | .pk.S[5:]' "$WORK_DIR/items.jsonl")
  jq -s -R -r --arg table "$REGISTRY_TABLE" --slurpfile items "$WORK_DIR/items.jsonl" '
    def time: if . == null then "(unknown)" else (tonumber / 1000 | floor | todate) end;
    (split("\n") | map(select(. != "") | split("\t") | {key: .[0], value: {status: .[1], bound: (.[2] // "")}})
      | from_entries) as $iot
    | ($items | map(select(.pk.S | startswith("cert#")))) as $certs
    | ($items | map(select(.pk.S | startswith("allow#")))) as $allow
    | "registry (table \($table)):",
      (if $allow == [] then empty else $allow[] | "  allow-list: listed" + (if .fingerprint then
        ", fingerprint \(.fingerprint.S)" else "" end) + (if .usedBy then ", used by \(.usedBy.S)" else ", not used yet" end)
        end),
      (if $certs == [] then "  certificates: (none)" else empty end),
      ($certs[] | if .missing then "  certificate \(.pk.S[5:]): (no item)" else
        "  certificate \(.pk.S[5:])", "    status: \(.status.S // "(none)")",
        "    boundThing: \(.boundThing.S // "(none)")", "    step: \(.step.S // "(none)")",
        "    reason: \(.reason.S // "(none)")", "    updatedAt: \(.updatedAt.N | time)" end),
      "differences (table / IoT):",
      ([$certs[] | .pk.S[5:] as $id | ($iot[$id] // {status: "DELETED", bound: ""}) as $i
        | (if .missing then "  certificate \($id): no item in the table; IoT: \($i.status)"
           else
             (if (.status.S // "") != $i.status then "  certificate \($id): status \(.status.S // "(none)") / \($i.status)"
              else empty end),
             (if (.boundThing.S // "") != $i.bound then "  certificate \($id): bound to \(.boundThing.S // "(none)") / \(
               if $i.bound == "" then "(none)" else $i.bound end)" else empty end)
           end)] | if . == [] then "  (none)" else .[] end),
      ([$items[] | select(.updatedAt)] | max_by(.updatedAt.N | tonumber)
        | if . == null then "last step: (none)" else
          "last step: \(.step.S // (.kind.S // "?")) at \(.updatedAt.N | time) (\(if (.pk.S | startswith("cert#"))
            then "certificate \(.pk.S[5:])" else .pk.S end))" end)
  ' "$WORK_DIR/iot.tsv"
}

main() {
  make_work_dir ""
  : >"$WORK_DIR/iot.tsv"
  local thing_json groups principals principal
  if ! thing_json=$(aws_iot describe-thing --thing-name "$thing" 2>"$WORK_DIR/aws.err"); then
    if grep -q "(ResourceNotFoundException)" "$WORK_DIR/aws.err"; then
      log "there is no thing named $thing"
      if [[ -n $REGISTRY_TABLE ]]; then
        printf 'thing %s: (no such thing in IoT)\n' "$thing"
        show_registry
      fi
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
  else
    while IFS= read -r principal; do
      show_certificate "$principal"
    done <<<"$principals"
  fi
  if [[ -n $REGISTRY_TABLE ]]; then
    show_registry
  else
    log "no device registry table (--table or DEVICE_REGISTRY_TABLE): IoT's view only"
  fi
}

main
