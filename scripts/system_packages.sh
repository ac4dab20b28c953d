#!/usr/bin/env bash
# Debian packages the project uses outside Python, installed when missing and this user may:
#   fonts-wqy-zenhei  the CJK font that letters embed (make run, make test)
#   chromium          the browser the browser tests drive headless (make test; never a downloaded one)
#   poppler-utils     pdftotext, with which the tests read letters back (make test)
# Usage: scripts/system_packages.sh run|test. As root (or with password-less sudo) it runs apt-get;
# otherwise it says what to install and carries on: the site works without them, letters then lack
# the Chinese font and the tests that need them fail saying what is missing.
set -uo pipefail

need=()
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
if [ "${1:-test}" = test ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "[system] not a Debian system: install ${need[*]} (or their equivalents) yourself" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "[system] missing ${need[*]}: run  sudo apt-get install ${need[*]}" >&2
  exit 0
fi
echo "[system] installing ${need[*]} (apt-get, once)"
export DEBIAN_FRONTEND=noninteractive
if ! { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
  echo "[system] apt-get could not install ${need[*]}" >&2
  exit 1
fi
