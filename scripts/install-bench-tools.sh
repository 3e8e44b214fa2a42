#!/usr/bin/env bash
# Installs the comparison tools `npm run bench` needs (nmap, for `nmap --script ssl-cert`).
# Idempotent: does nothing when nmap is already on PATH. Runs `apt-get update` only when the
# package is unknown to apt's cache (fresh machine) or the first install attempt fails.
# Exit codes: 0 installed/present, 1 could not install (reason on stderr).
set -euo pipefail

if command -v nmap >/dev/null 2>&1; then
  echo "install-bench-tools: nmap already present ($(nmap --version | head -n 1))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-bench-tools: nmap is missing and apt-get is not available; install nmap by hand" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "install-bench-tools: nmap is missing and this user is not root (no sudo); install nmap by hand" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
install_nmap() { $SUDO apt-get install -y --no-install-recommends nmap; }

# Only refresh the package lists when apt does not know a candidate for nmap.
candidate="$(apt-cache policy nmap 2>/dev/null | awk '/Candidate:/ {print $2}')"
if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
  echo "install-bench-tools: apt has no candidate for nmap; running apt-get update"
  $SUDO apt-get update
  install_nmap
elif ! install_nmap; then
  echo "install-bench-tools: install failed with the current lists; running apt-get update and retrying"
  $SUDO apt-get update
  install_nmap
fi

if ! command -v nmap >/dev/null 2>&1; then
  echo "install-bench-tools: apt-get finished but nmap is still not on PATH" >&2
  exit 1
fi
echo "install-bench-tools: installed $(nmap --version | head -n 1)"
