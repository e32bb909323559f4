#!/usr/bin/env bash
# Re-submit the events a JITR function failed on, from its on-failure SQS queue, to the function.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly EXIT_LEFT=3

usage() {
  cat <<EOF
Usage: scripts/ops/redrive.sh --queue-url URL --function NAME [options]

Redrive the events a JITR function gave up on. Each function invoked by a topic rule (certificate activation,
thing provisioning) has an SQS queue as on-failure destination: after Lambda's retries the event lands there
as a destination record {"requestContext":{"functionArn",...},"requestPayload":{...the event...},...}.
For each message of the queue, in batches:
  1. take requestPayload from the record;
  2. aws lambda invoke --invocation-type Event (asynchronous, as the topic rule invokes it: a new failure goes
     through Lambda's retries and back to this queue);
  3. only when Lambda accepted the event (StatusCode 202): aws sqs delete-message.
Nothing is deleted that was not re-submitted. A message that is not a destination record, or whose record is
for another function than --function, is left in the queue and counted. Messages received and left stay
hidden for --visibility-timeout, then come back for the next run. The handlers are idempotent, so an event
re-submitted twice (e.g. a run stopped between invoke and delete) does no harm.

The last line on stdout is the summary:  redriven=N left=N malformed=N
(left counts every message left in the queue, malformed included; with --dry-run, redriven counts the events
that would be re-submitted). Progress goes to stderr.

Options:
  --queue-url URL           the on-failure queue (stack outputs ActivationFailuresQueueUrl,
                            ProvisioningFailuresQueueUrl)
  --function NAME           the function to re-submit to: name, ARN or name:qualifier; it must be the
                            function the records are for (their requestContext.functionArn, which
                            --dry-run shows for a record of another function; or aws lambda list-functions)
  --qualifier Q             version or alias to invoke (default: the qualifier of each record's functionArn,
                            e.g. live, so the event goes where it failed; none when --function has one)
  --max N                   handle at most N messages (default: until the queue answers empty)
  --visibility-timeout S    seconds a received message stays hidden from other readers (default: 300)
  --wait-seconds S          long-poll wait of each receive, 0-20 (default: 5; an empty answer after a long
                            poll means the queue is empty, a short poll may miss messages)
  --dry-run                 receive and check the messages and log the events that would be re-submitted;
                            invoke and delete nothing; at the end, make every message it received visible
                            again (aws sqs change-message-visibility --visibility-timeout 0), so a real run
                            right after it finds them all
  -h, --help                show this help

AWS options (used for every AWS call):
  --endpoint-url URL    endpoint override for SQS and Lambda, e.g. http://127.0.0.1:4566 for the local IoT Core
                        (default: \$AWS_ENDPOINT_URL)
  --region REGION       AWS region (default: \$AWS_REGION, then \$AWS_DEFAULT_REGION, then the CLI config)
  --profile PROFILE     AWS CLI profile (default: \$AWS_PROFILE, then the CLI default)
Needs: sqs:ReceiveMessage and sqs:DeleteMessage on the queue, lambda:InvokeFunction on the function;
--dry-run: sqs:ReceiveMessage and sqs:ChangeMessageVisibility.

Exit codes:
  0  every message handled was re-submitted and deleted (or the queue was empty; with --dry-run: every
     message is a record for this function)
  1  error (missing tool, an AWS call failed: the message being handled stays in the queue; a dry run that
     could not make the messages it received visible again)
  2  bad arguments
  3  some messages were left in the queue (not destination records, for another function, or the invoke
     was not accepted)
EOF
}

queue_url="" function_name="" qualifier="" max="" visibility=300 wait_seconds=5 dry_run=0
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --queue-url) need_value "$@"; queue_url=$2; shift 2 ;;
    --function) need_value "$@"; function_name=$2; shift 2 ;;
    --qualifier) need_value "$@"; qualifier=$2; shift 2 ;;
    --max) need_value "$@"; max=$2; shift 2 ;;
    --visibility-timeout) need_value "$@"; visibility=$2; shift 2 ;;
    --wait-seconds) need_value "$@"; wait_seconds=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --endpoint-url) need_value "$@"; AWS_ENDPOINT_URL_OPT=$2; shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
[[ -n $queue_url ]] || usage_error "--queue-url is required"
[[ $queue_url =~ ^https?://[^/]+/[^/]+/[^/]+$ ]] \
  || usage_error "--queue-url must be a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)," \
    "not '$queue_url'"
[[ -n $function_name ]] || usage_error "--function is required"
[[ $function_name =~ ^[A-Za-z0-9:_\$.-]+$ ]] \
  || usage_error "--function must be a function name, name:qualifier or ARN, not '$function_name'"
[[ -z $qualifier || $qualifier =~ ^[A-Za-z0-9_\$-]+$ ]] \
  || usage_error "--qualifier must be a version or alias, not '$qualifier'"
[[ -z $max ]] || is_positive_int "$max" || usage_error "--max must be a positive number, not '$max'"
if ! is_non_negative_int "$visibility" || [[ $visibility -gt 43200 ]]; then
  usage_error "--visibility-timeout must be 0 to 43200 seconds, not '$visibility'"
fi
if ! is_non_negative_int "$wait_seconds" || [[ $wait_seconds -gt 20 ]]; then
  usage_error "--wait-seconds must be 0 to 20, not '$wait_seconds'"
fi
# The IoT endpoint variable of the other scripts must not send SQS and Lambda calls to the IoT endpoint.
AWS_ENDPOINT_URL_IOT=""
finish_aws_options

require_tools aws jq

aws_json() {
  AWS_PAGER="" aws ${AWS_ARGS[@]+"${AWS_ARGS[@]}"} --output json "$@"
}

# function_part arn-or-name: the function name inside a name, name:qualifier, partial or full ARN.
function_part() {
  local v=$1
  if [[ $v == *:function:* ]]; then
    v=${v#*:function:}
  fi
  printf '%s\n' "${v%%:*}"
}

# qualifier_part arn-or-name: the qualifier of a name:qualifier or a qualified ARN, else nothing.
qualifier_part() {
  local v=$1
  if [[ $v == *:function:* ]]; then
    v=${v#*:function:}
  fi
  if [[ $v == *:* ]]; then
    printf '%s\n' "${v#*:}"
  fi
}

target_name=$(function_part "$function_name")
redriven=0 left=0 malformed=0 handled=0
make_work_dir ""
seen="$WORK_DIR/seen"
: >"$seen"
# --dry-run: "<MessageId><TAB><ReceiptHandle>" of every message received, to make them visible again at the end.
received="$WORK_DIR/received"
: >"$received"
still_hidden=0

# release_dry_run_messages: a dry run sets the visibility timeout of every message it received back to 0, so
# that a real run right after it finds them (else they stay hidden for --visibility-timeout). The newest
# receipt of each message is the one that counts. Sets still_hidden to the number it could not release.
release_dry_run_messages() {
  local receipt err="$WORK_DIR/visibility.err" rc
  [[ $dry_run -eq 1 && -s $received ]] || return 0
  while IFS= read -r receipt; do
    rc=0
    aws_json sqs change-message-visibility --queue-url "$queue_url" --receipt-handle "$receipt" \
      --visibility-timeout 0 >/dev/null 2>"$err" || rc=$?
    if [[ $rc -ne 0 ]]; then
      cat "$err" >&2
      still_hidden=$((still_hidden + 1))
    fi
  done < <(awk -F '\t' '{ last[$1] = $2 } END { for (id in last) print last[id] }' "$received")
  : >"$received"
  if [[ $still_hidden -gt 0 ]]; then
    warn "$still_hidden message(s) received by this dry run could not be made visible again (aws sqs" \
      "change-message-visibility needs sqs:ChangeMessageVisibility): they stay hidden for up to $visibility s," \
      "the visibility timeout; a real run before then does not see them"
  fi
}

summary() {
  release_dry_run_messages
  log "redriven $redriven, left in the queue $left (malformed $malformed)"
  printf 'redriven=%d left=%d malformed=%d\n' "$redriven" "$left" "$malformed"
}

# fail message...: the summary so far, then exit 1.
fail() {
  summary
  die "$@"
}

# leave id reason: the message stays in the queue.
leave() {
  left=$((left + 1))
  warn "message $1 left in the queue: $2"
}

# handle_message file: one message of a receive answer (JSON object with MessageId, ReceiptHandle, Body).
handle_message() {
  local message=$1 id receipt payload="$WORK_DIR/payload.json" record_function out err rc
  id=$(jq -r '.MessageId' "$message")
  receipt=$(jq -r '.ReceiptHandle' "$message")
  # A record: a JSON object with requestContext.functionArn and a requestPayload.
  if ! jq -e '.Body | fromjson | objects | select(.requestContext.functionArn | strings) | has("requestPayload")' \
    "$message" >/dev/null 2>&1; then
    malformed=$((malformed + 1))
    leave "$id" "not a Lambda destination record (no requestContext.functionArn and requestPayload)"
    return 0
  fi
  record_function=$(jq -r '.Body | fromjson | .requestContext.functionArn' "$message")
  if [[ $(function_part "$record_function") != "$target_name" ]]; then
    leave "$id" "the record is for $record_function, not $function_name"
    return 0
  fi
  jq -c '.Body | fromjson | .requestPayload' "$message" >"$payload"
  if [[ $dry_run -eq 1 ]]; then
    redriven=$((redriven + 1))
    log "dry run: would re-submit message $id (record of $record_function): $(cat "$payload")"
    return 0
  fi

  local invoke=(lambda invoke --function-name "$function_name" --invocation-type Event) use_qualifier=$qualifier
  if [[ -z $use_qualifier && -z $(qualifier_part "$function_name") ]]; then
    use_qualifier=$(qualifier_part "$record_function")
  fi
  if [[ -n $use_qualifier ]]; then invoke+=(--qualifier "$use_qualifier"); fi
  # fileb:// sends the file's bytes as they are with AWS CLI v1 and v2 (no --cli-binary-format needed).
  invoke+=(--payload "fileb://$payload" "$WORK_DIR/invoke-response")
  err="$WORK_DIR/invoke.err"
  rc=0
  out=$(aws_json "${invoke[@]}" 2>"$err") || rc=$?
  if [[ $rc -ne 0 ]]; then
    cat "$err" >&2
    fail "aws lambda invoke failed for message $id (exit $rc); it stays in the queue"
  fi
  if [[ $(jq -r '.StatusCode // empty' <<<"$out") != 202 ]]; then
    leave "$id" "Lambda did not accept the event: $out"
    return 0
  fi
  err="$WORK_DIR/delete.err"
  rc=0
  aws_json sqs delete-message --queue-url "$queue_url" --receipt-handle "$receipt" >/dev/null 2>"$err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    cat "$err" >&2
    redriven=$((redriven + 1))
    left=$((left + 1))
    fail "message $id was re-submitted but aws sqs delete-message failed (exit $rc): it stays in the queue and a" \
      "later run re-submits it again (harmless: the handlers are idempotent)"
  fi
  redriven=$((redriven + 1))
  log "message $id re-submitted and deleted"
}

main() {
  local mode=""
  if [[ $dry_run -eq 1 ]]; then mode=" (dry run: nothing is invoked or deleted)"; fi
  step "redriving $queue_url to $function_name${qualifier:+ (qualifier $qualifier)}" \
    "${max:+(at most $max message(s))}$mode"
  local batch answer count i message="$WORK_DIR/message.json" id err="$WORK_DIR/receive.err" rc
  while [[ -z $max || $handled -lt $max ]]; do
    batch=10
    if [[ -n $max && $((max - handled)) -lt $batch ]]; then batch=$((max - handled)); fi
    rc=0
    answer=$(aws_json sqs receive-message --queue-url "$queue_url" --max-number-of-messages "$batch" \
      --visibility-timeout "$visibility" --wait-time-seconds "$wait_seconds" 2>"$err") || rc=$?
    if [[ $rc -ne 0 ]]; then
      cat "$err" >&2
      fail "aws sqs receive-message failed (exit $rc): check the queue URL, credentials, region and endpoint"
    fi
    [[ -n $answer ]] || answer='{}'
    count=$(jq -r '(.Messages // []) | length' <<<"$answer") \
      || fail "aws sqs receive-message answered something that is not JSON"
    if [[ $count -eq 0 ]]; then
      break
    fi
    for ((i = 0; i < count; i++)); do
      jq ".Messages[$i]" <<<"$answer" >"$message"
      id=$(jq -r '.MessageId' "$message")
      if [[ $dry_run -eq 1 ]]; then
        printf '%s\t%s\n' "$id" "$(jq -r '.ReceiptHandle' "$message")" >>"$received"
      fi
      if grep -qxF -- "$id" "$seen"; then
        # Only a message left earlier in this run comes back: the run outlasted the visibility timeout.
        warn "message $id came back after its visibility timeout ($visibility s); stopping"
        summary
        exit "$EXIT_LEFT"
      fi
      printf '%s\n' "$id" >>"$seen"
      handled=$((handled + 1))
      handle_message "$message"
    done
  done
  summary
  if [[ $still_hidden -gt 0 ]]; then
    die "the dry run left $still_hidden message(s) hidden for up to $visibility s: wait that long before a real run"
  fi
  if [[ $left -gt 0 ]]; then
    exit "$EXIT_LEFT"
  fi
}

main
