#!/usr/bin/env bash
# Create a device identity: key, CSR and certificate signed by the private CA, and the chain file.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

usage() {
  cat <<EOF
Usage: scripts/device/create-device.sh [options]

Create a device key and a certificate signed by \$CERTS_DIR/rootCA.pem (profile v3_device of
openssl.conf: CA:false, digitalSignature, clientAuth; subject CN = the thing name).
The thing name is printed on stdout (nothing else is). Files, one folder per device:
  \$CERTS_DIR/devices/<thingName>/deviceCert.key            private key (mode 600; never leaves the device)
  \$CERTS_DIR/devices/<thingName>/deviceCert.csr            certificate signing request
  \$CERTS_DIR/devices/<thingName>/deviceCert.crt            device certificate
  \$CERTS_DIR/devices/<thingName>/deviceCertAndCACert.crt   device certificate followed by the CA (for JITR)
  \$CERTS_DIR/devices/<thingName>/thingName                 the thing name
  \$CERTS_DIR/devices/latest                                the last thing name created (default of jitr.sh, call-api.sh)
CERTS_DIR defaults to <repository>/certs.

Options:
  --thing-name UUID   thing name: a canonical lowercase UUID (default: a fresh random UUID)
  --key-type rsa|ec   key algorithm: RSA or EC P-256 (default: \$DEVICE_KEY_TYPE or rsa)
  --rsa-bits N        RSA key size, 2048 to 4096 (default: \$DEVICE_RSA_BITS or 2048)
  --days N            validity in days (default: \$DEVICE_DAYS or 365)
  -h, --help          show this help

Other subject fields come from CERT_C, CERT_ST, CERT_L, CERT_O, CERT_OU (see openssl.conf).

Exit codes: 0 created, 1 error (no CA, the device folder already exists, ...), 2 bad arguments.
Next step: scripts/device/jitr.sh --thing-name <thingName>
EOF
}

thing_name=""
key_type=${DEVICE_KEY_TYPE:-rsa}
rsa_bits=${DEVICE_RSA_BITS:-2048}
days=${DEVICE_DAYS:-365}

while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --thing-name) need_value "$@"; thing_name=$2; shift 2 ;;
    --key-type) need_value "$@"; key_type=$2; shift 2 ;;
    --rsa-bits) need_value "$@"; rsa_bits=$2; shift 2 ;;
    --days) need_value "$@"; days=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

if [[ -n $thing_name ]] && ! is_canonical_uuid "$thing_name"; then
  usage_error "--thing-name must be a canonical lowercase UUID (like 3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b), not '$thing_name'"
fi
validate_key_type "$key_type" "$rsa_bits"
is_positive_int "$days" || usage_error "--days must be a positive number, not '$days'"

require_tools openssl
check_subject_env
require_ca

main() {
  if [[ -z $thing_name ]]; then
    thing_name=$(new_uuid)
  fi
  local devices="$CERTS_DIR/devices"
  local dir="$devices/$thing_name"
  if [[ -e $dir ]]; then
    die "$dir already exists; refusing to overwrite a device identity. Pick another --thing-name, or omit it for a fresh UUID."
  fi

  make_work_dir "$devices"
  local work=$WORK_DIR

  step "generating the device key for $thing_name ($key_type)"
  new_private_key "$key_type" "$rsa_bits" "$work/deviceCert.key"

  step "creating the CSR and signing it with the CA ($days days)"
  sign_device_key "$work" "$thing_name" "$days" "$CERTS_DIR"
  printf '%s\n' "$thing_name" >"$work/thingName"

  # The folder appears complete or not at all.
  [[ ! -e $dir ]] || die "$dir appeared while this device was being created; nothing was changed"
  mv "$work" "$dir"
  WORK_DIR=""
  printf '%s\n' "$thing_name" >"$devices/latest"

  log "device folder: $dir"
  log "  deviceCert.key (private key), deviceCert.crt, deviceCertAndCACert.crt (certificate + CA), thingName"
  log "next: scripts/device/jitr.sh --thing-name $thing_name"
  printf '%s\n' "$thing_name"
}

main
