#!/usr/bin/env bash
# Decommission a device: stop its certificates, detach them and delete them (--revoke: revoke and keep them),
# delete its thing. Resumable.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly EXIT_NO_THING=3
readonly EXIT_TIMEOUT=4
# The thing attribute that records the certificates being decommissioned (see usage).
readonly RECORD_ATTRIBUTE=decommissionCertificateIds
# An attribute value holds at most 800 characters: 12 ids of 64 hex digits and their commas.
readonly MAX_CERTIFICATES=12
# The authorizer's decision cache (AUTH_CACHE_TTL_SECONDS in the stack, infra DeviceApi).
readonly API_CACHE_SECONDS=5

usage() {
  cat <<EOF
Usage: scripts/ops/decommission.sh --thing-name T [--revoke] [--dry-run] [options]

Take device T out of service for good, in this order:
  1. stop it: set each of T's certificates INACTIVE (with --revoke: REVOKED). Only an ACTIVE certificate
     reaches the API (the authorizer allows ACTIVE certificates bound to the thing of their CN) and MQTT, so
     this is the step that stops the device: new MQTT connections are refused at once, AWS IoT drops open ones
     within a few minutes; the API refuses it within $API_CACHE_SECONDS s of the device registry table recording
     the new status (written right after this step with --table; otherwise the registry sync or the
     reconciler records it), since each warm authorizer container caches its decision that long
     (AUTH_CACHE_TTL_SECONDS; API Gateway caches nothing on top);
  2. record the certificate ids on the thing (attribute $RECORD_ATTRIBUTE; the thing's other attributes
     are replaced: the thing is deleted at the end, and a thing without a type holds at most 3 attributes);
  3. detach every policy of each certificate (list-attached-policies);
  4. detach each certificate from T, then wait until T no longer lists it (DetachThingPrincipal is
     asynchronous), bounded by --detach-timeout;
  5. delete each certificate, but keep a REVOKED one (with --revoke, all of them are REVOKED);
  6. delete T, retrying while IoT still says "still attached", bounded by --detach-timeout.
With a device registry table (--table or \$DEVICE_REGISTRY_TABLE), each certificate's item is updated right
after each IoT write of steps 1, 4 and 5 (step DECOMMISSIONED, with --revoke REVOKED; status INACTIVE or REVOKED,
then DELETED once deleted; boundThing removed once detached), so the API authorizer, which reads the table, refuses
the device within its cache TTL. Without a table, nothing but IoT is changed (a warning says so): the table then
learns it from the CloudTrail sync or the reconciler.
Every step is idempotent and prints what it did. A run that stops anywhere (an error, a timeout, Ctrl-C) is
resumed by running the same command again, from any machine: the certificates are found through T, or, once
detached from it, through the record on T (state in IoT, no local file). A REVOKED certificate is never set
INACTIVE; an INACTIVE one becomes REVOKED with --revoke.

--revoke cannot be undone: a REVOKED certificate can never be ACTIVE again. Without it the certificates go INACTIVE
(one stopped by an interrupted run can still be set ACTIVE by hand) and are deleted at step 5: once deleted, a
certificate is unknown to AWS IoT, and while its CA is ACTIVE with auto-registration a device presenting it again
is registered again through JITR (PENDING_ACTIVATION), as any certificate of the CA is; the activation function
may then activate it and jitr.sh onboard the device anew. --revoke keeps the certificates instead, REVOKED,
detached and without policies, and that is what refuses their keys for good (a known REVOKED certificate fails the
TLS handshake and is never registered again): use --revoke for a device that is lost, stolen or compromised.
A certificate found REVOKED is never deleted, with or without --revoke (a run resumed without it included).

Options:
  --thing-name T          the thing (a canonical lowercase UUID, like the other scripts)
  --revoke                REVOKED instead of INACTIVE (irreversible), and keep the certificates instead of
                          deleting them (detached, no policy), so that their keys can never onboard again
  --dry-run               read everything and print what would be done; change nothing
  --detach-timeout S      seconds to wait for a detachment to show, and for DeleteThing to stop answering
                          "still attached" (default 60)
  -h, --help              show this help

$(aws_options_help)
$(registry_options_help)
Needs: iot:DescribeThing, iot:ListThingPrincipals, iot:UpdateThing, iot:DeleteThing (thing/T);
iot:DescribeCertificate, iot:UpdateCertificate, iot:DeleteCertificate, iot:DetachPolicy,
iot:DetachThingPrincipal (cert/<id>); iot:ListAttachedPolicies (*); with a table, dynamodb:UpdateItem on it.
--dry-run: the Describe and List actions.

Exit codes:
  0  decommissioned (with --dry-run: the plan was printed)
  1  error (missing tool, an AWS call failed): run the same command again to resume
  2  bad arguments
  3  no thing T: nothing to decommission (a finished decommissioning ends by deleting the thing)
  4  timed out waiting for a detachment to show: run the same command again to resume
EOF
}

thing="" revoke=0 dry_run=0 detach_timeout=60
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --thing-name) need_value "$@"; thing=$2; shift 2 ;;
    --revoke) revoke=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    --detach-timeout) need_value "$@"; detach_timeout=$2; shift 2 ;;
    --endpoint-url) need_value "$@"; AWS_ENDPOINT_URL_OPT=$2; shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; shift 2 ;;
    --table) need_value "$@"; REGISTRY_TABLE_OPT=$2; shift 2 ;;
    --dynamodb-endpoint-url) need_value "$@"; DYNAMODB_ENDPOINT_URL_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
[[ -n $thing ]] || usage_error "--thing-name is required"
is_canonical_uuid "$thing" || usage_error "--thing-name must be a canonical lowercase UUID, not '$thing'"
if [[ ! $detach_timeout =~ ^[1-9][0-9]{0,3}$ ]]; then
  usage_error "--detach-timeout must be 1 to 9999 seconds, not '$detach_timeout'"
fi
finish_aws_options
finish_registry_options

require_tools aws jq

make_work_dir ""
ERR="$WORK_DIR/aws.err"

# call args...: aws iot args..., its JSON on stdout; on failure its error stays in $ERR and the exit code is returned.
call() {
  aws_iot "$@" 2>"$ERR"
}

# error_is Code: the last failed call answered this AWS error code.
error_is() {
  grep -q "($1)" "$ERR"
}

# fail what: the last call's error, then exit 1 with how to resume.
fail() {
  cat "$ERR" >&2
  die "$1 failed: fix the cause and run the same command again to resume"
}

# act description command...: run a change, or with --dry-run only say it would.
act() {
  local what=$1
  shift
  if [[ $dry_run -eq 1 ]]; then
    log "dry run: would $what"
    return 0
  fi
  "$@" >/dev/null || fail "$what"
  log "$what: done"
}

# registry id status [unbind]: record in the registry table what IoT says now of certificate id (status: empty
# leaves it; unbind: boundThing removed); nothing without a table. A failure exits 1: running again resumes.
registry() {
  local id=$1 status=$2 unbind=${3:-} step=DECOMMISSIONED what
  [[ -n $REGISTRY_TABLE ]] || return 0
  if [[ $revoke -eq 1 ]]; then step=REVOKED; fi
  what="status $status"
  if [[ -n $unbind ]]; then what="not bound"; fi
  if [[ $dry_run -eq 1 ]]; then
    log "dry run: would record certificate $id in table $REGISTRY_TABLE ($what, step $step)"
    return 0
  fi
  if ! registry_write_certificate "$id" "$step" "$status" "$unbind"; then
    cat "$REGISTRY_ERR" >&2
    die "recording certificate $id in table $REGISTRY_TABLE failed (IoT is changed, the table not yet): fix the" \
      "cause and run the same command again to resume"
  fi
  log "certificate $id: recorded in table $REGISTRY_TABLE ($what, step $step)"
}

cert_id() {
  printf '%s\n' "${1##*:cert/}"
}

# attached_certificates: the certificate ARNs T lists (a detachment still propagating included).
attached_certificates() {
  local out
  out=$(call list-thing-principals --thing-name "$thing") || fail "aws iot list-thing-principals --thing-name $thing"
  jq -r '.principals[]?' <<<"$out" | grep -E ':cert/[0-9a-f]{64}$' || true
}

describe_thing() {
  local out
  if ! out=$(call describe-thing --thing-name "$thing"); then
    if error_is ResourceNotFoundException; then
      die "$EXIT_NO_THING" "no thing $thing: nothing to decommission (a finished decommissioning ends by" \
        "deleting the thing, so none is in progress either)"
    fi
    fail "aws iot describe-thing --thing-name $thing"
  fi
  printf '%s\n' "$out"
}

# certificate_status id: ACTIVE, INACTIVE, REVOKED, ..., or "deleted".
certificate_status() {
  local out
  if ! out=$(call describe-certificate --certificate-id "$1"); then
    if error_is ResourceNotFoundException; then
      printf 'deleted\n'
      return 0
    fi
    fail "aws iot describe-certificate --certificate-id $1"
  fi
  jq -r '.certificateDescription.status' <<<"$out"
}

# stop id: step 1 for one certificate.
stop() {
  local id=$1 status target=INACTIVE
  status=$(certificate_status "$id") || exit "$EXIT_ERROR"
  if [[ $revoke -eq 1 ]]; then target=REVOKED; fi
  if [[ $status == deleted ]]; then
    log "certificate $id: already deleted"
    registry "$id" DELETED
  elif [[ $status == REVOKED || $status == "$target" ]]; then
    log "certificate $id: already $status"
    registry "$id" "$status"
  else
    act "set certificate $id $target (was $status)" \
      call update-certificate --certificate-id "$id" --new-status "$target"
    registry "$id" "$target"
  fi
}

# record ids...: step 2, the ids on the thing, unless the thing holds exactly these already.
record() {
  local wanted
  wanted=$(printf '%s\n' "$@" | sort -u | paste -sd, -)
  if [[ $wanted == "$recorded" ]]; then
    log "thing $thing: certificates already recorded ($RECORD_ATTRIBUTE=$wanted)"
    return 0
  fi
  local others
  others=$(jq -c --arg a "$RECORD_ATTRIBUTE" '.attributes // {} | del(.[$a])' <<<"$thing_json")
  if [[ $others != "{}" ]]; then
    log "thing $thing: its attributes $others are replaced by the record"
  fi
  local payload
  payload=$(jq -cn --arg a "$RECORD_ATTRIBUTE" --arg v "$wanted" '{attributes: {($a): $v}, merge: false}')
  act "record the certificates on thing $thing ($RECORD_ATTRIBUTE=$wanted)" \
    call update-thing --thing-name "$thing" --attribute-payload "$payload"
}

# detach_policies id: step 3 for one certificate.
detach_policies() {
  local id=$1 arn=$2 out policy count=0
  out=$(call list-attached-policies --target "$arn") || fail "aws iot list-attached-policies --target $arn"
  while IFS= read -r policy; do
    [[ -n $policy ]] || continue
    count=$((count + 1))
    act "detach policy $policy from certificate $id" call detach-policy --policy-name "$policy" --target "$arn"
  done < <(jq -r '.policies[]?.policyName' <<<"$out")
  if [[ $count -eq 0 ]]; then log "certificate $id: no policy attached"; fi
}

# wait_until description seconds command...: run command (a test) with backoff (1, 2, 4, 5, 5... s) until it
# succeeds; exit 4 when it has not after the given number of seconds.
wait_until() {
  local what=$1 limit=$2 delay=1 start=$SECONDS
  shift 2
  until "$@"; do
    if ((SECONDS - start >= limit)); then
      die "$EXIT_TIMEOUT" "$what: still not done after $limit s (--detach-timeout); run the same command again to" \
        "resume (it also takes in a certificate attached to the thing meanwhile)"
    fi
    sleep "$delay"
    delay=$((delay * 2 > 5 ? 5 : delay * 2))
  done
}

not_listed() {
  local list
  list=$(attached_certificates) || exit "$EXIT_ERROR"
  ! grep -qxF -- "$1" <<<"$list"
}

# detach_from_thing arn: step 4 for one certificate.
detach_from_thing() {
  local id arn=$1
  id=$(cert_id "$arn")
  if not_listed "$arn"; then
    log "certificate $id: not attached to thing $thing"
    registry "$id" "" unbind
    return 0
  fi
  act "detach certificate $id from thing $thing" \
    call detach-thing-principal --thing-name "$thing" --principal "$arn"
  if [[ $dry_run -eq 0 ]]; then
    log "waiting until thing $thing no longer lists certificate $id (DetachThingPrincipal is asynchronous)"
    wait_until "detaching certificate $id from thing $thing" "$detach_timeout" not_listed "$arn"
    log "certificate $id: detachment shows"
  fi
  registry "$id" "" unbind
}

# delete_certificate id: step 5 for one certificate.
delete_certificate() {
  local id=$1 status
  status=$(certificate_status "$id") || exit "$EXIT_ERROR"
  if [[ $status == deleted ]]; then
    log "certificate $id: already deleted"
    registry "$id" DELETED
    return 0
  fi
  if [[ $status == REVOKED ]]; then
    keep_certificate "$id"
    return 0
  fi
  act "delete certificate $id" call delete-certificate --certificate-id "$id"
  registry "$id" DELETED
}

# keep_certificate id: step 5 with --revoke for one certificate.
keep_certificate() {
  local id=$1 status
  status=$(certificate_status "$id") || exit "$EXIT_ERROR"
  if [[ $status == deleted ]]; then
    log "certificate $id: already deleted"
  elif [[ $dry_run -eq 1 ]]; then
    [[ $status == REVOKED ]] || status="REVOKED at step 1; $status now"
    log "dry run: would keep certificate $id ($status)"
  else
    log "certificate $id: kept, $status"
  fi
}

# try_delete_thing: DeleteThing; false (to retry) while IoT answers "still attached", exit 1 on any other error.
try_delete_thing() {
  if call delete-thing --thing-name "$thing" >/dev/null; then
    return 0
  fi
  if error_is InvalidRequestException && grep -q "still attached" "$ERR"; then
    log "thing $thing: IoT still says a principal is attached; retrying"
    return 1
  fi
  fail "delete thing $thing"
}

main() {
  local mode="" target=INACTIVE
  if [[ $dry_run -eq 1 ]]; then mode=" (dry run: nothing is changed)"; fi
  if [[ $revoke -eq 1 ]]; then target=REVOKED; fi
  step "decommissioning thing $thing, certificates to $target$mode"
  if [[ -z $REGISTRY_TABLE ]]; then
    warn "no device registry table (--table or DEVICE_REGISTRY_TABLE): only IoT is changed; the API authorizer" \
      "reads the table, which learns it from the CloudTrail sync or the reconciler's next run"
  fi

  thing_json=$(describe_thing) || exit $?
  recorded=$(jq -r --arg a "$RECORD_ATTRIBUTE" '.attributes[$a] // ""' <<<"$thing_json")
  if [[ -n $recorded ]]; then
    log "thing $thing: a decommissioning is in progress (recorded: $recorded); resuming"
  fi
  local principals others attached ids=() arns=() id arn
  principals=$(call list-thing-principals --thing-name "$thing") \
    || fail "aws iot list-thing-principals --thing-name $thing"
  others=$(jq -r '[.principals[]? | select(test(":cert/[0-9a-f]{64}$") | not)] | join(" ")' <<<"$principals")
  if [[ -n $others ]]; then
    die "thing $thing has principals that are not certificates ($others): this script handles certificates only;" \
      "detach them with aws iot detach-thing-principal first"
  fi
  attached=$(jq -r '.principals[]?' <<<"$principals")
  while IFS= read -r id; do
    if [[ -n $id ]]; then ids+=("$id"); fi
  done < <({ tr ',' '\n' <<<"$recorded"; sed 's/.*:cert\///' <<<"$attached"; } | grep -E '^[0-9a-f]{64}$' \
    | sort -u || true)
  if [[ ${#ids[@]} -gt $MAX_CERTIFICATES ]]; then
    die "thing $thing has ${#ids[@]} certificates: at most $MAX_CERTIFICATES fit in the record (attribute" \
      "values hold 800 characters); detach some by hand first"
  fi
  log "certificates of thing $thing: ${ids[*]:-none}"
  for id in ${ids[@]+"${ids[@]}"}; do
    arn=$(certificate_arn "$id") || exit "$EXIT_ERROR"
    arns+=("$arn")
  done

  step "1/6 stop the certificates ($target): the API and MQTT refuse them"
  for id in ${ids[@]+"${ids[@]}"}; do stop "$id"; done
  if [[ ${#ids[@]} -gt 0 ]]; then
    log "new MQTT connections are refused now and open ones dropped by AWS IoT within a few minutes; a warm" \
      "authorizer container may still allow the API for up to $API_CACHE_SECONDS s (AUTH_CACHE_TTL_SECONDS) after" \
      "the device registry table records the new status"
  fi

  step "2/6 record the certificates on the thing, so that a later run finds them once detached"
  if [[ ${#ids[@]} -gt 0 ]]; then record "${ids[@]}"; else log "no certificate to record"; fi

  step "3/6 detach the certificates' policies"
  local i
  for i in ${ids[@]+"${!ids[@]}"}; do
    if [[ -n ${arns[$i]} ]]; then
      detach_policies "${ids[$i]}" "${arns[$i]}"
    else
      log "certificate ${ids[$i]}: already deleted"
    fi
  done

  step "4/6 detach the certificates from thing $thing"
  for i in ${ids[@]+"${!ids[@]}"}; do
    if [[ -n ${arns[$i]} ]]; then
      detach_from_thing "${arns[$i]}"
    else
      log "certificate ${ids[$i]}: already deleted"
    fi
  done

  if [[ $revoke -eq 1 ]]; then
    step "5/6 keep the certificates, REVOKED (--revoke): their keys can never onboard again"
    for id in ${ids[@]+"${ids[@]}"}; do keep_certificate "$id"; done
  else
    step "5/6 delete the certificates"
    for id in ${ids[@]+"${ids[@]}"}; do delete_certificate "$id"; done
  fi

  step "6/6 delete thing $thing"
  if [[ $dry_run -eq 1 ]]; then
    log "dry run: would delete thing $thing"
  else
    wait_until "deleting thing $thing" "$detach_timeout" try_delete_thing
    log "delete thing $thing: done"
  fi
  step "thing $thing decommissioned$mode"
}

# certificate_arn id: the ARN IoT gives the certificate, empty when it is deleted.
certificate_arn() {
  local out
  if ! out=$(call describe-certificate --certificate-id "$1"); then
    if error_is ResourceNotFoundException; then
      return 0
    fi
    fail "aws iot describe-certificate --certificate-id $1"
  fi
  jq -r '.certificateDescription.certificateArn' <<<"$out"
}

main
