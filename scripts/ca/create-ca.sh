#!/usr/bin/env bash
# Create the private root CA that signs the device certificates.
# shellcheck source=../lib/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

usage() {
  cat <<EOF
Usage: scripts/ca/create-ca.sh [options]

Create the private root CA (key and self-signed certificate, profile v3_ca of openssl.conf: CA:true with
path length 0, so it signs end-entity certificates only):
  \$CERTS_DIR/rootCA.key   private key (mode 600; keep it secret: anything it signs can register)
  \$CERTS_DIR/rootCA.pem   CA certificate
CERTS_DIR defaults to <repository>/certs.

Options:
  --key-type rsa|ec   key algorithm: RSA or EC P-256 (default: \$CA_KEY_TYPE or rsa)
  --rsa-bits N        RSA key size, 2048 to 4096 (default: \$CA_RSA_BITS or 2048)
  --days N            validity in days (default: \$CA_DAYS or 3650)
  --cn NAME           subject common name, no control characters (default: \$CA_CN or "IoT Onboarding Root CA")
  --force             replace an existing CA; the old files move to \$CERTS_DIR/backup-<UTC time>/
                      (devices signed by the old CA will no longer chain to the new one). Without it,
                      an existing rootCA.key, rootCA.pem or caCertificateId is refused, also when it is
                      a symbolic link to nothing (e.g. an unmounted key volume): nothing is written through it
  -h, --help          show this help

Other subject fields come from CERT_C, CERT_ST, CERT_L, CERT_O, CERT_OU (see openssl.conf).

Exit codes: 0 created, 1 error (including "a CA already exists"), 2 bad arguments.
Next step: scripts/ca/register-ca.sh
EOF
}

key_type=${CA_KEY_TYPE:-rsa}
rsa_bits=${CA_RSA_BITS:-2048}
days=${CA_DAYS:-3650}
cn=${CA_CN:-IoT Onboarding Root CA}
force=false

while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --key-type) need_value "$@"; key_type=$2; shift 2 ;;
    --rsa-bits) need_value "$@"; rsa_bits=$2; shift 2 ;;
    --days) need_value "$@"; days=$2; shift 2 ;;
    --cn) need_value "$@"; cn=$2; shift 2 ;;
    --force) force=true; shift ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

validate_key_type "$key_type" "$rsa_bits"
is_positive_int "$days" || usage_error "--days must be a positive number, not '$days'"
[[ -n $cn ]] || usage_error "--cn must not be empty"
reject_control_chars --cn "$cn"

require_tools openssl
check_subject_env

ca_key="$CERTS_DIR/rootCA.key"
ca_pem="$CERTS_DIR/rootCA.pem"

# describe_dangling_links file...: "; rootCA.key is a link to the missing <target>" for each dangling link.
describe_dangling_links() {
  local f
  for f in "$@"; do
    if [[ -L "$CERTS_DIR/$f" && ! -e "$CERTS_DIR/$f" ]]; then
      printf '; %s is a link to the missing %s (not mounted?)' "$f" "$(readlink -- "$CERTS_DIR/$f")"
    fi
  done
}

# Move the current CA (and what depends on it) out of the way, or refuse.
set_aside_existing_ca() {
  local existing=() f backup
  # -L too: a dangling link (say, to an unmounted key volume) is an existing file, never written through.
  for f in rootCA.key rootCA.pem caCertificateId; do
    if [[ -e "$CERTS_DIR/$f" || -L "$CERTS_DIR/$f" ]]; then existing+=("$f"); fi
  done
  if [[ ${#existing[@]} -eq 0 ]]; then
    return 0
  fi
  if [[ $force != true ]]; then
    die "a CA already exists in $CERTS_DIR (${existing[*]}$(describe_dangling_links "${existing[@]}")); refusing" \
      "to overwrite it. Use --force to replace it (the old files are kept in a backup folder)."
  fi
  backup=$(mktemp -d "$CERTS_DIR/backup-$(date -u +%Y%m%dT%H%M%SZ)-XXXX")
  for f in "${existing[@]}"; do
    mv "$CERTS_DIR/$f" "$backup/$f"
  done
  warn "replaced the existing CA; the old files are in $backup"
}

main() {
  mkdir -p "$CERTS_DIR"
  set_aside_existing_ca

  make_work_dir "$CERTS_DIR"
  local work=$WORK_DIR

  step "generating the CA key ($key_type$([[ $key_type == rsa ]] && printf ' %s bits' "$rsa_bits"))"
  new_private_key "$key_type" "$rsa_bits" "$work/rootCA.key"

  step "self-signing the CA certificate (CN=$cn, $days days)"
  CERT_CN=$cn run_openssl "create the CA certificate" req -new -x509 -config "$OPENSSL_PROFILES" -extensions v3_ca \
    -key "$work/rootCA.key" -days "$days" -set_serial "$(random_serial)" -sha256 -out "$work/rootCA.pem"

  mv "$work/rootCA.key" "$ca_key"
  mv "$work/rootCA.pem" "$ca_pem"

  local fingerprint
  fingerprint=$(sha256_fingerprint "$ca_pem")
  log "CA key:         $ca_key"
  log "CA certificate: $ca_pem"
  log "SHA-256:        $fingerprint"
  log "next: scripts/ca/register-ca.sh (registers it with AWS IoT for JITR)"
}

main
