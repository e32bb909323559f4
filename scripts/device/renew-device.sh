#!/usr/bin/env bash
# Prepare a device's next identity: a fresh key and a certificate with the same subject CN (its thing name),
# signed by the CA, in the device folder's next/ (scripts/device/jitr.sh --renew then moves the thing to it).
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

usage() {
  cat <<EOF
Usage: scripts/device/renew-device.sh [options]

Renew a device certificate. Run it where the CA key is, like create-device.sh. It makes a fresh device key
and a certificate with the same subject CN (the thing name), signed by the CA of --ca-dir (profile v3_device
of openssl.conf), into the device folder's next/:
  <device folder>/next/deviceCert.key            new private key (mode 600)
  <device folder>/next/deviceCert.csr            certificate signing request
  <device folder>/next/deviceCert.crt            new device certificate
  <device folder>/next/deviceCertAndCACert.crt   new certificate followed by the signing CA (for JITR)
and prints the new certificate's id on stdout (nothing else): the lowercase hex SHA-256 of its DER, which is
its AWS IoT certificate id. The current files stay where they are until scripts/device/jitr.sh --renew has
moved the thing to the new certificate.
Idempotent: when next/ holds a complete identity already (an earlier run, perhaps already announced), it is
kept and its id printed again; remove next/ to make another one.

Options:
  --device-dir DIR    the device folder (default: \$CERTS_DIR/devices/<thingName>)
  --thing-name UUID   the device (default: the thingName file in --device-dir; without --device-dir,
                      \$CERTS_DIR/devices/latest). It must be the CN of the device's current certificate
  --ca-dir DIR        folder holding the signing CA's rootCA.pem and rootCA.key (default: \$CERTS_DIR); give a
                      new CA's folder to renew the device under it during a CA rotation
  --key-type rsa|ec   key algorithm: RSA or EC P-256 (default: \$DEVICE_KEY_TYPE or rsa)
  --rsa-bits N        RSA key size, 2048 to 4096 (default: \$DEVICE_RSA_BITS or 2048)
  --days N            validity in days (default: \$DEVICE_DAYS or 365)
  -h, --help          show this help

Other subject fields come from CERT_C, CERT_ST, CERT_L, CERT_O, CERT_OU (see openssl.conf).

Exit codes: 0 created (or already there), 1 error (no device folder, no CA, an incomplete next/, ...),
2 bad arguments (also a --thing-name that is not the current certificate's CN).
Next step, on the device: scripts/device/jitr.sh --renew --device-dir <device folder>
EOF
}

thing_name=""
device_dir=""
ca_dir=""
key_type=${DEVICE_KEY_TYPE:-rsa}
rsa_bits=${DEVICE_RSA_BITS:-2048}
days=${DEVICE_DAYS:-365}

while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --thing-name) need_value "$@"; thing_name=$2; shift 2 ;;
    --device-dir) need_value "$@"; device_dir=$(abs_path "$2"); shift 2 ;;
    --ca-dir) need_value "$@"; ca_dir=$(abs_path "$2"); shift 2 ;;
    --key-type) need_value "$@"; key_type=$2; shift 2 ;;
    --rsa-bits) need_value "$@"; rsa_bits=$2; shift 2 ;;
    --days) need_value "$@"; days=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

if [[ -n $thing_name ]] && ! is_canonical_uuid "$thing_name"; then
  usage_error "--thing-name must be a canonical lowercase UUID, not '$thing_name'"
fi
validate_key_type "$key_type" "$rsa_bits"
is_positive_int "$days" || usage_error "--days must be a positive number, not '$days'"

require_tools openssl
check_subject_env

# The thing name: --thing-name, else <--device-dir>/thingName, else (neither option given) devices/latest.
if [[ -z $thing_name && -n $device_dir ]]; then
  if [[ -f "$device_dir/thingName" ]]; then
    thing_name=$(tr -d '[:space:]' <"$device_dir/thingName")
  fi
  [[ -n $thing_name ]] || die "$device_dir/thingName is missing or empty: give --thing-name (the certificate's CN)"
fi
if [[ -z $thing_name && -f "$CERTS_DIR/devices/latest" ]]; then
  thing_name=$(tr -d '[:space:]' <"$CERTS_DIR/devices/latest")
fi
[[ -n $thing_name ]] || die "no device: give --thing-name or --device-dir"
is_canonical_uuid "$thing_name" || die "the thing name '$thing_name' is not a canonical lowercase UUID"
device_dir=${device_dir:-$CERTS_DIR/devices/$thing_name}
[[ -d $device_dir ]] || die "no device folder $device_dir: renew a device made by scripts/device/create-device.sh" \
  "(or give --device-dir)"
ca_dir=${ca_dir:-$CERTS_DIR}
if [[ ! -f "$ca_dir/rootCA.pem" || ! -f "$ca_dir/rootCA.key" ]]; then
  die "no CA in $ca_dir (rootCA.pem and rootCA.key): give the signing CA's folder with --ca-dir"
fi

readonly NEXT_FILES="deviceCert.key deviceCert.crt deviceCertAndCACert.crt"

# The current certificate, when the folder has one, must be the thing's: the new one gets the same CN.
check_current_certificate() {
  local current="$device_dir/deviceCert.crt" cns
  [[ -f $current ]] || return 0
  cns=$(subject_cns "$current" 2>/dev/null) || die "cannot read the current certificate $current"
  [[ $cns == "$thing_name" ]] || die "$EXIT_USAGE" "the current certificate $current has CN=$cns, not $thing_name:" \
    "a renewal keeps the thing name. Give the --thing-name or --device-dir of that device."
}

# next_is_complete: next/ holds every file of an identity.
next_is_complete() {
  local f
  for f in $NEXT_FILES; do
    [[ -f "$device_dir/next/$f" ]] || return 1
  done
}

main() {
  check_current_certificate
  local next="$device_dir/next" cn
  if [[ -e $next ]]; then
    if [[ -e "$next/.confirmed" || -e "$next/.previous-saved" ]]; then
      die "$next is being promoted (its certificate was accepted): finish that first, on the device:" \
        "scripts/device/jitr.sh --renew --device-dir $device_dir"
    fi
    next_is_complete || die "$next exists but is incomplete: remove it and run this again"
    cn=$(subject_cns "$next/deviceCert.crt" 2>/dev/null) || cn=""
    [[ $cn == "$thing_name" ]] || die "$next/deviceCert.crt is not a certificate of $thing_name: remove $next" \
      "and run this again"
    log "$next holds a new identity already (kept: it may have been announced); remove it to make another"
    sha256_fingerprint "$next/deviceCert.crt"
    return 0
  fi

  make_work_dir "$device_dir"
  local work=$WORK_DIR
  step "generating the new device key for $thing_name ($key_type)"
  new_private_key "$key_type" "$rsa_bits" "$work/deviceCert.key"
  step "creating the CSR (CN=$thing_name) and signing it with the CA of $ca_dir ($days days)"
  sign_device_key "$work" "$thing_name" "$days" "$ca_dir"

  # next/ appears complete or not at all.
  [[ ! -e $next ]] || die "$next appeared while this identity was being created; nothing was changed"
  mv "$work" "$next"
  WORK_DIR=""

  local id
  id=$(sha256_fingerprint "$next/deviceCert.crt")
  log "new identity in $next (certificate id $id)"
  log "next, on the device: scripts/device/jitr.sh --renew --device-dir $device_dir"
  printf '%s\n' "$id"
}

main
