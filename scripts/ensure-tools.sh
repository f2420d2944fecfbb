#!/usr/bin/env bash
# The report tests check the HTML page in a real headless browser and the XLSX in a real
# spreadsheet program: install Debian's chromium and LibreOffice Calc when they are missing.
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
