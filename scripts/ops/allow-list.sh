#!/usr/bin/env bash
# The manufacturing allow-list in the device registry table: import a manifest, list it, remove an entry.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly EXIT_CONFLICT=3
# DynamoDB's limits: BatchWriteItem takes at most 25 requests, BatchGetItem at most 100 keys.
readonly WRITE_BATCH=25
readonly READ_BATCH=100
# Attempts of one batch while DynamoDB leaves part of it unprocessed (throttling), with backoff 1, 2, 4, 8... s.
readonly MAX_ATTEMPTS=8

usage() {
  cat <<EOF
Usage: scripts/ops/allow-list.sh import --file MANIFEST.csv [options]
       scripts/ops/allow-list.sh list [options]
       scripts/ops/allow-list.sh remove --thing-name T [options]

The manufacturing allow-list (stack option allowList=true): certificate activation refuses a certificate whose
subject CN (the thing name) is not listed, and uses each entry once (it records the certificate in usedBy). The
entries are items allow#<thing name> of the device registry table.

  import   add the manifest's entries. The manifest is CSV, one device a line: the thing name (a canonical
           lowercase UUID, the CN its certificate will carry) and optionally the certificate's fingerprint (the
           SHA-256 of its DER, 64 hex digits, colons allowed, = its AWS IoT certificate id), e.g.
             3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b,5d41402abc4b2a76b9719d911017c592...
           An optional first line "thingName,fingerprint" is a header; blank lines are skipped. Every row is
           checked before anything is written (errors name their line). Entries already listed with the same
           fingerprint are left as they are (a used entry stays used), so importing again is safe; an entry
           listed with another fingerprint is left unchanged and reported (exit 3): remove it first. New entries
           are written with BatchWriteItem, 25 a call, what DynamoDB leaves unprocessed retried with backoff.
           Prints: added=N unchanged=N conflicting=N
  list     every entry, tab-separated after a header: thingName fingerprint usedBy updatedAt (- when none;
           UTC, ISO 8601). A Scan of the table: it reads every item.
  remove   delete the entry of thing T (one that was used too: its certificate stays as it is).
           Prints: removed=1, or removed=0 when T was not listed.

Options:
  --file FILE             the manifest (import)
  --thing-name T          the thing (remove; a canonical lowercase UUID)
  --table NAME            the device registry table (default: \$DEVICE_REGISTRY_TABLE; required; the stack
                          output DeviceRegistryTableName)
  --endpoint-url URL      DynamoDB endpoint override (default: \$AWS_ENDPOINT_URL_DYNAMODB, then \$AWS_ENDPOINT_URL)
  --region REGION         AWS region (default: \$AWS_REGION, then \$AWS_DEFAULT_REGION, then the CLI config)
  --profile PROFILE       AWS CLI profile (default: \$AWS_PROFILE, then the CLI default)
  -h, --help              show this help
Needs: dynamodb:BatchGetItem and dynamodb:BatchWriteItem (import), dynamodb:Scan (list), dynamodb:DeleteItem
(remove) on the table.

Exit codes:
  0  done
  1  error (missing tool, an AWS call failed; import: run it again, it adds what is missing)
  2  bad arguments, or a manifest with a bad row (nothing is written)
  3  import: entries listed with another fingerprint were left unchanged
EOF
}

command="" file="" thing=""
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    import | list | remove)
      [[ -z $command ]] || usage_error "one command only, not '$command' and '$1'"
      command=$1; shift ;;
    --file) need_value "$@"; file=$2; shift 2 ;;
    --thing-name) need_value "$@"; thing=$2; shift 2 ;;
    --table) need_value "$@"; REGISTRY_TABLE_OPT=$2; shift 2 ;;
    --endpoint-url) need_value "$@"; DYNAMODB_ENDPOINT_URL_OPT=$2; shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

[[ -n $command ]] || usage_error "a command is required: import, list or remove"
case $command in
  import)
    [[ -n $file ]] || usage_error "import needs --file"
    [[ -z $thing ]] || usage_error "--thing-name is for remove"
    ;;
  list)
    [[ -z $file && -z $thing ]] || usage_error "list takes no --file or --thing-name"
    ;;
  remove)
    [[ -n $thing ]] || usage_error "remove needs --thing-name"
    [[ -z $file ]] || usage_error "--file is for import"
    is_canonical_uuid "$thing" || usage_error "--thing-name must be a canonical lowercase UUID, not '$thing'"
    ;;
esac
finish_registry_options
[[ -n $REGISTRY_TABLE ]] || usage_error "--table is required (or set DEVICE_REGISTRY_TABLE)"
if [[ $command == import && ! -r $file ]]; then
  usage_error "cannot read the manifest $file"
fi
require_tools aws jq

make_work_dir ""
ERR="$WORK_DIR/aws.err"

# ddb what subcommand args...: aws dynamodb, its JSON on stdout; exit 1 with the CLI's reason on failure.
ddb() {
  local what=$1
  shift
  aws_ddb "$@" 2>"$ERR" || die "$what failed (aws dynamodb $1): $(error_reason "$ERR")"
}

# parse_manifest file: the rows as JSON lines {line, thing, fingerprint}, or every bad row on stderr and exit 2.
parse_manifest() {
  local parsed
  parsed=$(jq -R -s '
    def uuid: test("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
    def unquote: gsub("^\\s+|\\s+$"; "") | gsub("^\"|\"$"; "");
    split("\n") | to_entries
    | map({line: (.key + 1), text: (.value | rtrimstr("\r"))})
    | map(select(.text | test("^\\s*$") | not))
    | (if length > 0 and (.[0].text | ascii_downcase | test("^\\s*\"?thing_?name\"?\\s*(,|$)")) then .[1:] else . end)
    | map((.text | split(",") | map(unquote)) as $f
        | {line, thing: $f[0], fingerprint: (($f[1] // "") | gsub(":"; "") | ascii_downcase), fields: ($f | length)}
        | .error = (if .fields > 2 then "more than two fields (thing name, fingerprint)"
            elif (.thing | uuid | not) then "the thing name must be a canonical lowercase UUID, not \"\(.thing)\""
            elif .fingerprint != "" and (.fingerprint | test("^[0-9a-f]{64}$") | not)
              then "the fingerprint must be 64 hex digits (SHA-256 of the DER), not \"\($f[1])\""
            else null end))
    | (map(select(.error == null)) | group_by(.thing) | map(select(length > 1))
        | map(.[0].line as $first | .[1:][] | {line, error: "thing \(.thing) is listed already on line \($first)"}))
      as $duplicates
    | {errors: ((map(select(.error != null) | {line, error}) + $duplicates) | sort_by(.line)),
       rows: map(select(.error == null) | {line, thing, fingerprint})}' "$1") \
    || die "could not read the manifest $1"
  if [[ $(jq '.errors | length' <<<"$parsed") -gt 0 ]]; then
    jq -r --arg f "$1" '.errors[] | "\($f):\(.line): \(.error)"' <<<"$parsed" | sed "s/^/$SCRIPT_NAME: error: /" >&2
    die "$EXIT_USAGE" "the manifest $1 has $(jq '.errors | length' <<<"$parsed") bad row(s): nothing was written"
  fi
  if [[ $(jq '.rows | length' <<<"$parsed") -eq 0 ]]; then
    die "$EXIT_USAGE" "the manifest $1 lists no device: nothing was written"
  fi
  jq -c '.rows[]' <<<"$parsed"
}

# backoff attempt: sleep 1, 2, 4, 8... s before the next attempt.
backoff() {
  sleep $((1 << ($1 - 1 > 5 ? 5 : $1 - 1)))
}

# existing_entries rows-file: the listed entries among the manifest's things, as JSON lines {thing, fingerprint,
# usedBy}, read with BatchGetItem (100 keys a call, unprocessed keys asked again).
existing_entries() {
  local total start request out attempt
  total=$(wc -l <"$1")
  for ((start = 0; start < total; start += READ_BATCH)); do
    request=$(jq -s -c --arg t "$REGISTRY_TABLE" --argjson s "$start" --argjson n "$READ_BATCH" \
      '{($t): {Keys: [.[$s:$s + $n][] | {pk: {S: "allow#\(.thing)"}}], ConsistentRead: true}}' "$1")
    for ((attempt = 1; ; attempt++)); do
      printf '%s' "$request" >"$WORK_DIR/request.json"
      out=$(ddb "reading the listed entries" batch-get-item --request-items "file://$WORK_DIR/request.json")
      jq -c --arg t "$REGISTRY_TABLE" '.Responses[$t][]? | {thing: .thingName.S,
        fingerprint: (.fingerprint.S // ""), usedBy: (.usedBy.S // "")}' <<<"$out"
      request=$(jq -c '.UnprocessedKeys // {}' <<<"$out")
      [[ $request != "{}" ]] || break
      [[ $attempt -lt $MAX_ATTEMPTS ]] || die "DynamoDB left keys unprocessed after $MAX_ATTEMPTS attempts: run again"
      backoff "$attempt"
    done
  done
}

# write_entries rows-file: PutRequest for each row, BatchWriteItem 25 a call, unprocessed items sent again.
write_entries() {
  local total start request out attempt now
  total=$(wc -l <"$1")
  now=$(now_millis)
  for ((start = 0; start < total; start += WRITE_BATCH)); do
    request=$(jq -s -c --arg t "$REGISTRY_TABLE" --argjson s "$start" --argjson n "$WRITE_BATCH" --arg now "$now" \
      '{($t): [.[$s:$s + $n][] | {PutRequest: {Item: ({pk: {S: "allow#\(.thing)"}, kind: {S: "ALLOW"},
        thingName: {S: .thing}, updatedAt: {N: $now}}
        + (if .fingerprint == "" then {} else {fingerprint: {S: .fingerprint}} end))}}]}' "$1")
    for ((attempt = 1; ; attempt++)); do
      printf '%s' "$request" >"$WORK_DIR/request.json"
      out=$(ddb "writing the entries" batch-write-item --request-items "file://$WORK_DIR/request.json")
      request=$(jq -c '.UnprocessedItems // {}' <<<"$out")
      [[ $request != "{}" ]] || break
      [[ $attempt -lt $MAX_ATTEMPTS ]] \
        || die "DynamoDB left items unprocessed after $MAX_ATTEMPTS attempts: run the same import again"
      backoff "$attempt"
    done
    log "written: $((start + WRITE_BATCH < total ? start + WRITE_BATCH : total)) of $total new entries"
  done
}

import_manifest() {
  local rows="$WORK_DIR/rows.jsonl" existing="$WORK_DIR/existing.jsonl" new="$WORK_DIR/new.jsonl"
  parse_manifest "$file" >"$rows"
  step "manifest $file: $(wc -l <"$rows" | tr -d ' ') device(s); reading which are listed in $REGISTRY_TABLE"
  existing_entries "$rows" >"$existing"
  local plan
  plan=$(jq -s -c --slurpfile e "$existing" '
    (reduce $e[] as $x ({}; .[$x.thing] = $x)) as $listed
    | {new: map(select($listed[.thing] == null)),
       same: map(select($listed[.thing] != null and $listed[.thing].fingerprint == .fingerprint)),
       conflicting: map(select($listed[.thing] != null and $listed[.thing].fingerprint != .fingerprint)
         | . + {listed: $listed[.thing].fingerprint, usedBy: $listed[.thing].usedBy})}' "$rows")
  jq -c '.new[]' <<<"$plan" >"$new"
  jq -r '.conflicting[] | "line \(.line): thing \(.thing) is listed with fingerprint \(if .listed == "" then "(none)"
    else .listed end)\(if .usedBy == "" then "" else ", used by \(.usedBy)" end), the manifest says \(if .fingerprint
    == "" then "(none)" else .fingerprint end): left unchanged (remove it first to replace it)"' <<<"$plan" \
    | while IFS= read -r line; do warn "$line"; done
  if [[ -s $new ]]; then write_entries "$new"; fi
  local added unchanged conflicting
  added=$(jq '.new | length' <<<"$plan")
  unchanged=$(jq '.same | length' <<<"$plan")
  conflicting=$(jq '.conflicting | length' <<<"$plan")
  log "added $added, already listed $unchanged, listed with another fingerprint $conflicting"
  printf 'added=%s unchanged=%s conflicting=%s\n' "$added" "$unchanged" "$conflicting"
  [[ $conflicting -eq 0 ]] || exit "$EXIT_CONFLICT"
}

list_entries() {
  local out
  out=$(ddb "listing the entries" scan --table-name "$REGISTRY_TABLE" --filter-expression "begins_with(pk, :p)" \
    --expression-attribute-values '{":p":{"S":"allow#"}}')
  printf 'thingName\tfingerprint\tusedBy\tupdatedAt\n'
  jq -r '[.Items[]? | [.thingName.S, (.fingerprint.S // "-"), (.usedBy.S // "-"),
      (if .updatedAt.N then (.updatedAt.N | tonumber / 1000 | floor | todate) else "-" end)]]
    | sort_by(.[0])[] | @tsv' <<<"$out"
}

remove_entry() {
  local out
  out=$(ddb "removing the entry of $thing" delete-item --table-name "$REGISTRY_TABLE" \
    --key "{\"pk\":{\"S\":\"allow#$thing\"}}" --return-values ALL_OLD)
  if [[ $(jq -r '.Attributes.pk.S // ""' <<<"$out") == "allow#$thing" ]]; then
    log "removed $thing from the allow-list$(jq -r '.Attributes.usedBy.S // "" | if . == "" then ""
      else " (it was used by certificate \(.), which stays as it is)" end' <<<"$out")"
    printf 'removed=1\n'
  else
    log "$thing was not listed"
    printf 'removed=0\n'
  fi
}

case $command in
  import) import_manifest ;;
  list) list_entries ;;
  remove) remove_entry ;;
esac
