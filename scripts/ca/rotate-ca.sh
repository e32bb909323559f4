#!/usr/bin/env bash
# Walk an operator through a CA rotation with overlap: new CA, both trusted, devices renewed, old CA retired.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly EXIT_DEVICES_LEFT=3
readonly STEPS="new-ca deploy-both renew report finish"

usage() {
  cat <<EOF
Usage: scripts/ca/rotate-ca.sh [COMMAND] [options]

Moves the fleet from the current CA (--old-ca-dir, default \$CERTS_DIR) to a new one (--new-ca-dir) with an
overlap during which the stack trusts both. Run the commands in this order; each is idempotent, may be run
again after a failure or an interruption, and ends by printing the next step. What a rotation has done is
kept in \$STATE_DIR/state (default \$CERTS_DIR/rotation/state), so a later command needs no directory options.

Commands:
  status       (default) the rotation's state and the next step
  new-ca       1. create the new CA (scripts/ca/create-ca.sh with CERTS_DIR=--new-ca-dir, skipped when it
                  exists) and register it with AWS IoT (scripts/ca/register-ca.sh, which is idempotent)
  deploy-both  2. write the truststore bundle of both CAs (\$STATE_DIR/truststore-both.pem) and print, on
                  stdout, the deploy command that trusts both:
                    cdk deploy -c caCertificateId= -c caCertificateIds=<old>,<new> -c truststorePath=<bundle>
                  (with --run, run it from the repository root)
  renew        3. print on stdout, one line per device folder under --devices-dir whose certificate the old
                  CA signed, the commands that renew it under the new CA:
                    scripts/device/renew-device.sh --device-dir D --ca-dir <new> && scripts/device/jitr.sh --renew --device-dir D
                  (devices already under the new CA are counted, not printed)
  report       4. per CA, its status, ACTIVE certificates, devices and soonest expiry (scripts/ca/ca-report.sh),
                  and how many devices still hold ACTIVE certificates of the old CA
  finish       5. when no ACTIVE certificate of the old CA is left (else exit 3; --force goes on anyway):
                  set the old CA INACTIVE (aws iot update-ca-certificate --new-status INACTIVE), write the
                  bundle of the new CA alone (\$STATE_DIR/truststore-new.pem) and print the deploy command
                  without the old CA (with --run, run it)

Options:
  --old-ca-dir DIR   the current CA's folder: rootCA.pem and caCertificateId (default: \$CERTS_DIR)
  --new-ca-dir DIR   the new CA's folder (default: \$CERTS_DIR/next-ca); new-ca records it in the state
  --devices-dir DIR  the device folders to renew (default: <old-ca-dir>/devices)
  --state-dir DIR    where the state and the truststore bundles go (default: \$CERTS_DIR/rotation)
  --key-type rsa|ec  new-ca: the new CA's key algorithm (create-ca.sh's default otherwise)
  --cn NAME          new-ca: the new CA's subject CN (create-ca.sh's default otherwise)
  --run              deploy-both, finish: run the deploy command instead of only printing it
  --force            finish: retire the old CA although devices still hold ACTIVE certificates of it
                     (they keep connecting to AWS IoT, which does not refuse an ACTIVE certificate of an
                     INACTIVE CA, but the API refuses them once the old CA leaves the stack)
  -h, --help         show this help

$(aws_options_help)

Exit codes:
  0  the step is done (for deploy-both and finish without --run: its command is printed, run it next)
  1  error (missing CA files, AWS call failed, deploy failed, ...)
  2  bad arguments, or options that contradict the rotation under way
  3  finish: devices still hold ACTIVE certificates of the old CA (nothing changed)
EOF
}

command_name=status
old_ca_dir=""
new_ca_dir=""
devices_dir=""
state_dir="$CERTS_DIR/rotation"
key_type=""
cn=""
run=false
force=false
aws_cli_args=()

if [[ $# -gt 0 && $1 != -* ]]; then
  command_name=$1
  shift
fi
case " status $STEPS " in
  *" $command_name "*) ;;
  *) usage_error "unknown command: $command_name" ;;
esac
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --old-ca-dir) need_value "$@"; old_ca_dir=$(abs_path "$2"); shift 2 ;;
    --new-ca-dir) need_value "$@"; new_ca_dir=$(abs_path "$2"); shift 2 ;;
    --devices-dir) need_value "$@"; devices_dir=$(abs_path "$2"); shift 2 ;;
    --state-dir) need_value "$@"; state_dir=$(abs_path "$2"); shift 2 ;;
    --key-type) need_value "$@"; key_type=$2; shift 2 ;;
    --cn) need_value "$@"; cn=$2; shift 2 ;;
    --run) run=true; shift ;;
    --force) force=true; shift ;;
    --endpoint-url) need_value "$@"; AWS_ENDPOINT_URL_OPT=$2; aws_cli_args+=("$1" "$2"); shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; aws_cli_args+=("$1" "$2"); shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; aws_cli_args+=("$1" "$2"); shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
if [[ -n $key_type && $key_type != rsa && $key_type != ec ]]; then
  usage_error "--key-type must be rsa or ec, not '$key_type'"
fi
if [[ -n $cn ]]; then reject_control_chars --cn "$cn"; fi
finish_aws_options

state_file="$state_dir/state"

# state_get key: the value recorded for key, or nothing.
state_get() {
  [[ -f $state_file ]] || return 0
  sed -n "s/^$1=//p" "$state_file" | tail -n 1
}

# state_set key value: records (or replaces) key=value.
state_set() {
  mkdir -p "$state_dir"
  local tmp
  tmp=$(mktemp "$state_dir/state.XXXXXX")
  if [[ -f $state_file ]]; then grep -v "^$1=" "$state_file" >"$tmp" || true; fi
  printf '%s=%s\n' "$1" "$2" >>"$tmp"
  mv "$tmp" "$state_file"
}

# resolve_dir key option-value default: the directory recorded in the state wins; an option that names another
# one is a usage error (a rotation under way is not silently redirected).
resolve_dir() {
  local recorded
  recorded=$(state_get "$1")
  if [[ -n $recorded ]]; then
    if [[ -n $2 && $2 != "$recorded" ]]; then
      die "$EXIT_USAGE" "the rotation under way ($state_file) has $1=$recorded, not $2;" \
        "finish it, or remove $state_dir to start another"
    fi
    printf '%s\n' "$recorded"
  else
    printf '%s\n' "${2:-$3}"
  fi
}

old_ca_dir=$(resolve_dir old_ca_dir "$old_ca_dir" "$CERTS_DIR")
new_ca_dir=$(resolve_dir new_ca_dir "$new_ca_dir" "$CERTS_DIR/next-ca")
devices_dir=${devices_dir:-$old_ca_dir/devices}
[[ $old_ca_dir != "$new_ca_dir" ]] || usage_error "--new-ca-dir must differ from --old-ca-dir ($old_ca_dir)"

# ca_id dir what: the registered id in dir/caCertificateId, or an error saying what to run.
ca_id() {
  local id=""
  if [[ -f $1/caCertificateId ]]; then id=$(tr -d '[:space:]' <"$1/caCertificateId"); fi
  [[ $id =~ ^[0-9a-f]{64}$ ]] || die "no registered $2 in $1 (caCertificateId): $3"
  printf '%s\n' "$id"
}

old_id() {
  ca_id "$old_ca_dir" "current CA" "run scripts/ca/register-ca.sh with CERTS_DIR=$old_ca_dir, or give --old-ca-dir"
}

new_id() {
  ca_id "$new_ca_dir" "new CA" "run scripts/ca/rotate-ca.sh new-ca first"
}

# next_step done-step: prints the step after done-step.
next_step() {
  case $1 in
    "") log "next: scripts/ca/rotate-ca.sh new-ca --new-ca-dir DIR (create and register the new CA)" ;;
    new-ca) log "next: scripts/ca/rotate-ca.sh deploy-both (the stack trusts both CAs)" ;;
    deploy-both) log "next: once the deploy command ran, scripts/ca/rotate-ca.sh renew (renew each device under the new CA)" ;;
    renew) log "next: once the printed commands ran, scripts/ca/rotate-ca.sh report (who still holds the old CA)" ;;
    report) log "next: scripts/ca/rotate-ca.sh finish (retire the old CA), or renew the devices left first" ;;
    finish) log "done: once the deploy command ran, the stack trusts the new CA alone; create new devices with CERTS_DIR=$new_ca_dir" ;;
  esac
}

done_step() {
  state_set last_step "$1"
  next_step "$1"
}

# deploy ids bundle: prints the deploy command; with --run, runs it from the repository root.
deploy() {
  local command=(cdk deploy -c caCertificateId= -c "caCertificateIds=$1" -c "truststorePath=$2")
  local word line=""
  for word in "${command[@]}"; do
    if [[ ! $word =~ ^[A-Za-z0-9_./=,:@%+-]*$ ]]; then word=$(printf '%q' "$word"); fi
    line+="${line:+ }$word"
  done
  printf '%s\n' "$line"
  if [[ $run == true ]]; then
    require_tools cdk
    step "running the deploy command"
    (cd "$REPO_ROOT" && "${command[@]}") || die "the deploy command failed: fix the cause and run this step again"
  fi
}

# signed_by ca-pem cert: does the CA's certificate verify this certificate?
signed_by() {
  openssl verify -CAfile "$1" "$2" >/dev/null 2>&1
}

cmd_status() {
  log "state: ${state_file}$([[ -f $state_file ]] || printf ' (none yet: no rotation under way)')"
  log "old CA: $old_ca_dir ($(state_get old_ca_id))"
  log "new CA: $new_ca_dir ($(state_get new_ca_id))"
  log "last step done: $(state_get last_step)"
  next_step "$(state_get last_step)"
}

cmd_new_ca() {
  local old new
  old=$(old_id)
  state_set old_ca_dir "$old_ca_dir"
  state_set new_ca_dir "$new_ca_dir"
  state_set old_ca_id "$old"
  if [[ -f $new_ca_dir/rootCA.pem && -f $new_ca_dir/rootCA.key ]]; then
    log "the new CA exists in $new_ca_dir: not created again"
  else
    step "creating the new CA in $new_ca_dir"
    local create=("$REPO_ROOT/scripts/ca/create-ca.sh")
    if [[ -n $key_type ]]; then create+=(--key-type "$key_type"); fi
    if [[ -n $cn ]]; then create+=(--cn "$cn"); fi
    mkdir -p "$new_ca_dir"
    CERTS_DIR=$new_ca_dir "${create[@]}" || die "scripts/ca/create-ca.sh failed for $new_ca_dir"
  fi
  step "registering the new CA with AWS IoT"
  CERTS_DIR=$new_ca_dir "$REPO_ROOT/scripts/ca/register-ca.sh" ${aws_cli_args[@]+"${aws_cli_args[@]}"} >/dev/null \
    || die "scripts/ca/register-ca.sh failed for $new_ca_dir"
  new=$(new_id)
  [[ $new != "$old" ]] || die "the new CA has the old CA's id $old: --new-ca-dir holds the old CA"
  state_set new_ca_id "$new"
  log "new CA registered: $new"
  done_step new-ca
}

cmd_deploy_both() {
  local old new bundle="$state_dir/truststore-both.pem"
  old=$(old_id)
  new=$(new_id)
  mkdir -p "$state_dir"
  cat "$old_ca_dir/rootCA.pem" "$new_ca_dir/rootCA.pem" >"$bundle.tmp"
  mv "$bundle.tmp" "$bundle"
  step "deploy with both CAs trusted (truststore $bundle), from $REPO_ROOT:"
  deploy "$old,$new" "$bundle"
  done_step deploy-both
}

cmd_renew() {
  local old new pending=0 renewed=0 other=0 dir cert
  old=$(old_id)
  new=$(new_id)
  [[ -d $devices_dir ]] || die "no device folders in $devices_dir: give --devices-dir"
  step "devices under $devices_dir still on the old CA $old:"
  for dir in "$devices_dir"/*/; do
    dir=${dir%/}
    cert="$dir/deviceCert.crt"
    [[ -f $cert ]] || continue
    if signed_by "$new_ca_dir/rootCA.pem" "$cert"; then
      renewed=$((renewed + 1))
    elif signed_by "$old_ca_dir/rootCA.pem" "$cert"; then
      pending=$((pending + 1))
      printf 'scripts/device/renew-device.sh --device-dir %q --ca-dir %q && scripts/device/jitr.sh --renew --device-dir %q\n' \
        "$dir" "$new_ca_dir" "$dir"
    else
      other=$((other + 1))
      warn "$cert is signed by neither CA: left alone"
    fi
  done
  local where=""
  if [[ $pending -gt 0 ]]; then where=" (the commands above, one line each; they may run in parallel)"; fi
  log "$pending device(s) to renew$where, $renewed already under the new CA $new, $other signed by neither"
  done_step renew
}

# old_ca_row id: the ca-report.sh line of the old CA (status, ACTIVE certificates, devices, ...).
old_ca_row() {
  local report
  report=$("$REPO_ROOT/scripts/ca/ca-report.sh" --ca-certificate-id "$1" ${aws_cli_args[@]+"${aws_cli_args[@]}"}) \
    || die "scripts/ca/ca-report.sh failed"
  sed -n 2p <<<"$report"
}

cmd_report() {
  local old new report row
  old=$(old_id)
  new=$(new_id)
  report=$("$REPO_ROOT/scripts/ca/ca-report.sh" --ca-certificate-id "$old" --ca-certificate-id "$new" \
    ${aws_cli_args[@]+"${aws_cli_args[@]}"}) || die "scripts/ca/ca-report.sh failed"
  printf '%s\n' "$report"
  row=$(sed -n 2p <<<"$report")
  log "old CA $old: $(cut -f5 <<<"$row") device(s) still hold ACTIVE certificates of it" \
    "($(cut -f4 <<<"$row") ACTIVE certificate(s))"
  done_step report
}

cmd_finish() {
  local old new row active status bundle="$state_dir/truststore-new.pem"
  old=$(old_id)
  new=$(new_id)
  row=$(old_ca_row "$old")
  active=$(cut -f4 <<<"$row")
  status=$(cut -f2 <<<"$row")
  if [[ $active -gt 0 ]]; then
    if [[ $force != true ]]; then
      die "$EXIT_DEVICES_LEFT" "$active ACTIVE certificate(s) of the old CA $old are left ($(cut -f5 <<<"$row")" \
        "device(s)): renew them (scripts/ca/rotate-ca.sh renew), or give --force to retire the CA anyway"
    fi
    warn "--force: $active ACTIVE certificate(s) of the old CA stay ACTIVE; the API refuses them once the old" \
      "CA leaves the stack, AWS IoT does not"
  fi
  if [[ $status == INACTIVE ]]; then
    log "the old CA $old is INACTIVE already"
  else
    step "setting the old CA $old INACTIVE (no new registration through it)"
    aws_iot update-ca-certificate --certificate-id "$old" --new-status INACTIVE >/dev/null \
      || die "aws iot update-ca-certificate failed: check credentials, region and endpoint, then run finish again"
  fi
  mkdir -p "$state_dir"
  cp "$new_ca_dir/rootCA.pem" "$bundle.tmp"
  mv "$bundle.tmp" "$bundle"
  step "deploy without the old CA (truststore $bundle), from $REPO_ROOT:"
  deploy "$new" "$bundle"
  done_step finish
}

if [[ $command_name != status ]]; then require_tools openssl aws jq; fi
case $command_name in
  status) cmd_status ;;
  new-ca) cmd_new_ca ;;
  deploy-both) cmd_deploy_both ;;
  renew) cmd_renew ;;
  report) cmd_report ;;
  finish) cmd_finish ;;
esac
