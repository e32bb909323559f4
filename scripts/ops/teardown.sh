#!/usr/bin/env bash
# Before `cdk destroy`: detach the stack's IoT policies from every certificate (and thing group) still holding
# them, since CloudFormation cannot delete a policy that is attached. Dry run unless --yes.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly EXIT_NO_STACK=3
readonly DEFAULT_STACK=IotOnboarding
# The stack outputs naming its IoT policies (infra OnboardingStack).
readonly POLICY_OUTPUTS=(JitrPolicyName AppPolicyName)
# Rounds of list-then-detach per policy: each round detaches what one listing returned.
readonly MAX_ROUNDS=100

usage() {
  cat <<EOF
Usage: scripts/ops/teardown.sh [--stack-name NAME | --policy-name P ...] [--yes] [options]

Prepare the stack for \`npx cdk destroy\`: AWS IoT refuses to delete a policy that is attached to a target,
so \`cdk destroy\` fails (DELETE_FAILED on the policy) while certificates still hold the stack's IoT policies.
For each of the stack's policies (the JITR and app policies, read from the outputs $(IFS=,; echo "${POLICY_OUTPUTS[*]}")
of the stack, or given with --policy-name), list its targets (list-targets-for-policy) and detach the policy
from each (detach-policy). Without --yes, only print what would be detached (dry run).

What it leaves: the certificates and things stay, with their status (an ACTIVE certificate stays ACTIVE but
holds no policy of the stack: AWS IoT refuses its connections and MQTT actions); the CA stays registered.
To remove devices for good, run scripts/ops/decommission.sh --thing-name T for each, before or after.
Devices that onboard between this script and \`cdk destroy\` attach the policies again: stop onboarding
first (or run this again right before destroying).

Options:
  --stack-name NAME       the CloudFormation stack whose outputs name the policies (default $DEFAULT_STACK)
  --policy-name P         a policy to detach everywhere, instead of reading the stack (repeat for several)
  --yes                   detach; without it, print the plan and change nothing
  -h, --help              show this help

$(aws_options_help)
The stack is read with \`aws cloudformation describe-stacks\` (with --region and --profile, not --endpoint-url).
Needs: cloudformation:DescribeStacks (without --policy-name); iot:ListTargetsForPolicy on each policy (policy/P);
with --yes, iot:DetachPolicy on each target (cert/<id>, thinggroup/<name>).

Exit codes:
  0  every target detached (without --yes: the plan was printed)
  1  error (missing tool, an AWS call failed, a policy still had targets after $MAX_ROUNDS rounds): run it again
  2  bad arguments
  3  no stack NAME, or it has no policy outputs
EOF
}

stack="" yes=0
policies=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --stack-name) need_value "$@"; stack=$2; shift 2 ;;
    --policy-name) need_value "$@"; policies+=("$2"); shift 2 ;;
    --yes) yes=1; shift ;;
    --endpoint-url) need_value "$@"; AWS_ENDPOINT_URL_OPT=$2; shift 2 ;;
    --region) need_value "$@"; AWS_REGION_OPT=$2; shift 2 ;;
    --profile) need_value "$@"; AWS_PROFILE_OPT=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
if [[ -n $stack && ${#policies[@]} -gt 0 ]]; then
  usage_error "give --stack-name or --policy-name, not both"
fi
if [[ -n $stack && ! $stack =~ ^[A-Za-z][A-Za-z0-9-]{0,127}$ ]]; then
  usage_error "--stack-name must be a CloudFormation stack name (a letter, then letters, digits, '-'), not '$stack'"
fi
for policy in ${policies[@]+"${policies[@]}"}; do
  if [[ ! $policy =~ ^[A-Za-z0-9_=,.@+-]{1,128}$ ]]; then
    usage_error "--policy-name must be an IoT policy name ([A-Za-z0-9_=,.@+-], 1 to 128), not '$policy'"
  fi
done
stack=${stack:-$DEFAULT_STACK}
finish_aws_options

require_tools aws jq

make_work_dir ""
ERR="$WORK_DIR/aws.err"

fail() {
  cat "$ERR" >&2
  die "$1 failed: fix the cause and run the same command again"
}

# stack_policies: the policy names among the stack's outputs, one per line.
stack_policies() {
  local region=${AWS_REGION_OPT:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}
  local profile=${AWS_PROFILE_OPT:-${AWS_PROFILE:-}}
  local args=() out
  if [[ -n $region ]]; then args+=(--region "$region"); fi
  if [[ -n $profile ]]; then args+=(--profile "$profile"); fi
  if ! out=$(AWS_PAGER="" aws ${args[@]+"${args[@]}"} --output json cloudformation describe-stacks \
    --stack-name "$stack" 2>"$ERR"); then
    if grep -q "does not exist" "$ERR"; then
      die "$EXIT_NO_STACK" "no stack $stack in this account and region: give --stack-name, or the policies" \
        "with --policy-name"
    fi
    fail "aws cloudformation describe-stacks --stack-name $stack"
  fi
  local wanted
  wanted=$(printf '%s\n' "${POLICY_OUTPUTS[@]}" | jq -R . | jq -sc .)
  jq -r --argjson wanted "$wanted" \
    '.Stacks[0].Outputs // [] | map(select(.OutputKey as $k | $wanted | index($k))) | .[].OutputValue' <<<"$out"
}

# targets P: the ARNs P is attached to, one per line (the CLI follows the pages).
targets() {
  local out
  out=$(aws_iot list-targets-for-policy --policy-name "$1" 2>"$ERR") \
    || fail "aws iot list-targets-for-policy --policy-name $1"
  jq -r '.targets[]?' <<<"$out"
}

# A failure inside $(...) exits only the subshell: each caller passes its exit code on.
if [[ ${#policies[@]} -eq 0 ]]; then
  names=$(stack_policies) || exit $?
  mapfile -t policies <<<"$names"
  [[ -n $names ]] \
    || die "$EXIT_NO_STACK" "stack $stack has no outputs ${POLICY_OUTPUTS[*]}: is it this project's stack?"
  log "stack $stack: policies ${policies[*]}"
fi

total=0
for policy in "${policies[@]}"; do
  if [[ $yes -eq 0 ]]; then
    listed=$(targets "$policy") || exit $?
    [[ -n $listed ]] || { log "$policy: no targets"; continue; }
    mapfile -t attached <<<"$listed"
    for target in "${attached[@]}"; do
      log "dry run: would detach $policy from $target"
      total=$((total + 1))
    done
    continue
  fi
  round=0
  while :; do
    listed=$(targets "$policy") || exit $?
    [[ -n $listed ]] || break
    mapfile -t attached <<<"$listed"
    round=$((round + 1))
    [[ $round -le $MAX_ROUNDS ]] || die "$policy still has targets after $MAX_ROUNDS rounds: run it again"
    for target in "${attached[@]}"; do
      aws_iot detach-policy --policy-name "$policy" --target "$target" >/dev/null 2>"$ERR" \
        || fail "aws iot detach-policy --policy-name $policy --target $target"
      log "detached $policy from $target"
      total=$((total + 1))
    done
  done
  log "$policy: no targets left"
done

if [[ $yes -eq 0 ]]; then
  log "dry run: $total detachment(s) planned; run again with --yes to detach, then npx cdk destroy"
else
  log "$total detachment(s) done; now npx cdk destroy. Certificates and things stay (scripts/ops/decommission.sh" \
    "removes a device)"
fi
