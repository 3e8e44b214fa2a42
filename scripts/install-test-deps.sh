#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages. Idempotent: installs only what is
# missing. Later issues add their services here (Samba AD DC, an OCSP responder, PostgreSQL).
set -euo pipefail

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The kerberos npm package (GSSAPI binds) compiles against MIT krb5 at npm install; kinit gets
# the Kerberos tests their ticket.
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q "install ok installed" || need+=(libkrb5-dev)
command -v kinit >/dev/null 2>&1 || need+=(krb5-user)
# Real servers behind the STARTTLS modules (fixtures/lib/starttls-servers.ts starts private ones);
# PostgreSQL also holds the PostgreSQL store's tests (tests/postgres/global-setup.ts).
[[ -x /usr/lib/postgresql/15/bin/initdb ]] || need+=(postgresql-15)
command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
command -v xrdp >/dev/null 2>&1 || need+=(xrdp)
command -v prosody >/dev/null 2>&1 || need+=(prosody)
# Mail, file and directory servers for SMTP's neighbours (fixtures/lib/starttls-mail-servers.ts):
# Dovecot for IMAP and POP3, vsftpd for FTP AUTH TLS, OpenLDAP's slapd for LDAP StartTLS.
[[ -x /usr/lib/dovecot/imap-login ]] || need+=(dovecot-imapd)
[[ -x /usr/lib/dovecot/pop3-login ]] || need+=(dovecot-pop3d)
command -v vsftpd >/dev/null 2>&1 || need+=(vsftpd)
command -v slapd >/dev/null 2>&1 || need+=(slapd)
# Debian's Chromium, driven headless by playwright-core, loads the HTML reports of hostile
# certificates (tests/reports/hostile-strings.test.ts).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# GNU time measures the peak RSS of a scan among hostile servers (tests/collectors/hostile-servers.test.ts).
[[ -x /usr/bin/time ]] || need+=(time)

# The AD CS tests' domain controller (the vitest global setup also runs this; idempotent).
bash "$(dirname "$0")/samba-dc.sh" install

if ((${#need[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing: ${need[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
