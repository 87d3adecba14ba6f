#!/usr/bin/env bash
# The browser tests and the UI benchmark drive Debian's Chromium. Installs it when it is missing
# (needs root or sudo, and Debian's package mirror); does nothing when it is already there.
set -euo pipefail
CHROMIUM="${BATON_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then as_root=(); elif command -v sudo >/dev/null; then as_root=(sudo); else
  echo "Chromium is missing at $CHROMIUM and there is no root or sudo to install it: apt-get install chromium" >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser tests…" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
