#!/usr/bin/env bash
# The tests and benchmarks talk to real programs from Debian's packages: Chromium (browser tests,
# UI benchmark), OpenSSH's sshd (SSH nodes), Prometheus and Alertmanager (alert-driven rules).
# Installs whichever are missing in one apt-get run (needs root or sudo and Debian's package
# mirror); does nothing when all are there. The packages' own services are not started by us: the
# tests start their own instances on loopback ports.
set -euo pipefail

# binary → the Debian package that provides it
declare -A PACKAGES=(
  ["${BATON_CHROMIUM:-/usr/bin/chromium}"]=chromium
  [/usr/sbin/sshd]=openssh-server
  [/usr/bin/ssh-keygen]=openssh-client
  [/usr/bin/prometheus]=prometheus
  [/usr/bin/prometheus-alertmanager]=prometheus-alertmanager
)

missing=()
for binary in "${!PACKAGES[@]}"; do
  [ -x "$binary" ] || missing+=("${PACKAGES[$binary]}")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

if [ "$(id -u)" -eq 0 ]; then as_root=(); elif command -v sudo >/dev/null; then as_root=(sudo); else
  echo "Missing Debian packages for the tests and no root or sudo to install them: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages for the tests: ${missing[*]}…" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
