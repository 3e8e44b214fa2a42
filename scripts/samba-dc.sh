#!/usr/bin/env bash
# A real Samba Active Directory domain controller on loopback, for the AD CS tests.
#
#   scripts/samba-dc.sh install        apt-get the Samba packages if missing
#   scripts/samba-dc.sh start [DIR]    provision (first time) and start; a no-op if already answering
#   scripts/samba-dc.sh stop [DIR]     stop the DC started from DIR
#   scripts/samba-dc.sh env [DIR]      print connection settings as shell assignments
#
# DIR defaults to $PKISCOPE_SAMBA_DIR or /tmp/pkiscope-samba. The Administrator password comes
# from $PKISCOPE_TEST_LDAP_PASSWORD and is never printed or passed on a command line (process
# lists are world-readable): samba-tool reads it from $PASSWD, ldapsearch from a 0600 file.
# The DC listens on lo only (interfaces=lo, bind interfaces only).
set -euo pipefail

REALM=PKI.TEST
DOMAIN=PKI
BASE_DN="DC=pki,DC=test"
BIND_DN="CN=Administrator,CN=Users,$BASE_DN"
LDAP_URL="ldap://127.0.0.1"
LDAPS_URL="ldaps://127.0.0.1"
START_TIMEOUT_S=${PKISCOPE_SAMBA_START_TIMEOUT:-60}
# krb5-user: kinit, for the tests of Kerberos binds against the DC's KDC.
PACKAGES=(samba samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind ldap-utils ldb-tools smbclient krb5-user)

state_dir() { echo "${1:-${PKISCOPE_SAMBA_DIR:-/tmp/pkiscope-samba}}"; }

require_password() {
  if [[ -z "${PKISCOPE_TEST_LDAP_PASSWORD:-}" ]]; then
    echo "PKISCOPE_TEST_LDAP_PASSWORD is not set" >&2
    exit 2
  fi
}

cmd_install() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  # An empty package index (fresh image) cannot resolve anything: refresh it first.
  if ! apt-cache show samba >/dev/null 2>&1; then apt-get update -qq; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Writes the password, without a trailing newline, to a 0600 file for ldapsearch -y.
password_file() {
  local file="$1/run/bind-password"
  (umask 077 && printf '%s' "$PKISCOPE_TEST_LDAP_PASSWORD" > "$file")
  echo "$file"
}

answering() {
  local dir=$1
  [[ -f "$dir/dc/run/samba.pid" ]] || return 1
  kill -0 "$(cat "$dir/dc/run/samba.pid")" 2>/dev/null || return 1
  LDAPTLS_REQCERT=never ldapsearch -x -o nettimeout=3 -H "$LDAPS_URL" -D "$BIND_DN" -y "$(password_file "$dir/dc")" \
    -b "" -s base configurationNamingContext >/dev/null 2>&1
}

provision() {
  local dir=$1 dc="$1/dc"
  rm -rf "$dc"
  mkdir -p "$dir"
  : > "$dir/empty.conf"
  # -s must name an existing empty file, or provision merges /etc/samba/smb.conf. The random
  # initial password is replaced below, so the one we use never appears in argv.
  samba-tool domain provision -s "$dir/empty.conf" --targetdir="$dc" \
    --realm="$REALM" --domain="$DOMAIN" --server-role=dc --dns-backend=NONE --host-name=dc1 \
    --option="interfaces=lo" --option="bind interfaces only=yes" \
    --option="dns forwarder=127.0.0.1" > "$dir/provision.log" 2>&1 \
    || { echo "samba-tool domain provision failed; see $dir/provision.log" >&2; exit 1; }
  mkdir -p "$dc/log" "$dc/run" "$dc/cache"
  # Provision silently drops these, so they go into smb.conf afterwards. Plain-LDAP simple binds
  # stay allowed so the tests can exercise the scanner's refusal and --ldap-plaintext path.
  sed -i "s|^\tserver services = .*|\tserver services = ldap, cldap, kdc, rpc\n\tldap server require strong auth = no\n\tlog file = $dc/log/samba.log\n\tpid directory = $dc/run\n\tdns update command = /bin/true\n\tspn update command = /bin/true|" "$dc/etc/smb.conf"
  set_admin_password "$dc"
  password_fingerprint > "$dc/provisioned"
}

# Which password the DC was provisioned with, as a hash: a start with another one re-provisions.
password_fingerprint() {
  printf '%s' "$PKISCOPE_TEST_LDAP_PASSWORD" | sha256sum | cut -d' ' -f1
}

# Sets the Administrator password from the environment through Samba's Python bindings, on the
# local database (before the server starts), so it is never an argument of any process.
set_admin_password() {
  local dc=$1
  # samba-tool's own interpreter: another python3 earlier in PATH lacks the samba module.
  /usr/bin/python3 - "$dc/etc/smb.conf" "$dc/private/sam.ldb" <<'PY'
import os, sys
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=sys.argv[2], session_info=system_session(), lp=lp)
db.setpassword("(sAMAccountName=Administrator)", os.environ["PKISCOPE_TEST_LDAP_PASSWORD"],
               force_change_at_next_login=False, username="Administrator")
PY
}

# Kerberos service principals of the DC's LDAP server, as samba_spnupdate would register them
# (the lab turns that off with "spn update command = /bin/true": it needs DNS). Without them the
# KDC has no ldap/dc1.pki.test and a GSSAPI bind cannot get a service ticket. Idempotent.
LDAP_SPNS=(ldap/dc1.pki.test ldap/DC1 "ldap/dc1.pki.test/pki.test" "ldap/dc1.pki.test/PKI")
ensure_ldap_spns() {
  local dc="$1/dc" dn="CN=DC1,OU=Domain Controllers,$BASE_DN" pw spn
  pw=$(password_file "$dc")
  local have
  have=$(LDAPTLS_REQCERT=never ldapsearch -x -LLL -o ldif-wrap=no -o nettimeout=5 -H "$LDAPS_URL" -D "$BIND_DN" -y "$pw" \
    -b "$dn" -s base servicePrincipalName)
  local ldif="dn: $dn"$'\n'"changetype: modify"$'\n'"add: servicePrincipalName"$'\n' missing=0
  for spn in "${LDAP_SPNS[@]}"; do
    grep -qixF "servicePrincipalName: $spn" <<<"$have" && continue
    ldif+="servicePrincipalName: $spn"$'\n'
    missing=1
  done
  ((missing)) || return 0
  LDAPTLS_REQCERT=never ldapmodify -x -o nettimeout=5 -H "$LDAPS_URL" -D "$BIND_DN" -y "$pw" <<<"$ldif" >/dev/null
}

cmd_start() {
  require_password
  local dir
  dir=$(state_dir "${1:-}")
  if answering "$dir"; then ensure_ldap_spns "$dir"; return 0; fi
  cmd_stop "$dir"
  [[ "$(cat "$dir/dc/provisioned" 2>/dev/null)" == "$(password_fingerprint)" ]] || provision "$dir"
  samba -D -s "$dir/dc/etc/smb.conf"
  local deadline=$((SECONDS + START_TIMEOUT_S))
  until answering "$dir"; do
    if ((SECONDS >= deadline)); then
      echo "samba did not answer LDAPS within ${START_TIMEOUT_S}s; see $dir/dc/log/samba.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  ensure_ldap_spns "$dir"
}

cmd_stop() {
  local dir pid
  dir=$(state_dir "${1:-}")
  [[ -f "$dir/dc/run/samba.pid" ]] || return 0
  pid=$(cat "$dir/dc/run/samba.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    # Its workers exit with the master; one that ignored TERM for 10 s is not coming back.
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$dir/dc/run/samba.pid" "$dir/dc/run/bind-password"
}

cmd_env() {
  local dir
  dir=$(state_dir "${1:-}")
  cat <<EOF
PKISCOPE_SAMBA_DIR=$dir
PKISCOPE_TEST_LDAP_URL=$LDAP_URL
PKISCOPE_TEST_LDAPS_URL=$LDAPS_URL
PKISCOPE_TEST_LDAP_BIND_DN=$BIND_DN
PKISCOPE_TEST_LDAP_REALM=$REALM
PKISCOPE_TEST_LDAP_DOMAIN=$DOMAIN
PKISCOPE_TEST_LDAP_BASE_DN=$BASE_DN
EOF
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  env) cmd_env "${2:-}" ;;
  *) echo "usage: $0 install | start [DIR] | stop [DIR] | env [DIR]" >&2; exit 2 ;;
esac
