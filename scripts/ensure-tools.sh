#!/usr/bin/env bash
# The report tests check the HTML page in a real headless browser and the XLSX in a real
# spreadsheet program; the web app's browser tests drive Chromium through Playwright (never its
# own browser download): install Debian's chromium and LibreOffice Calc when they are missing,
# and the front-end packages (GOV.UK Frontend, axe-core) from npm.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (Debian packages)"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash "$(dirname "$0")/ensure-frontend.sh"
