#!/usr/bin/env bash
# The report tests check the HTML page in a real headless browser and the XLSX in a real
# spreadsheet program; the web app's browser tests drive Chromium through Playwright (never its
# own browser download): install Debian's chromium and LibreOffice Calc when they are missing,
# and the front-end packages (GOV.UK Frontend, axe-core) from npm.
# Documents are PDFs rendered by WeasyPrint, which needs Pango (and HarfBuzz's subsetter) and
# the font the templates name (Liberation Sans); the tests read PDFs back with poppler-utils.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
for lib in libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
           libharfbuzz-subset.so.0:libharfbuzz-subset0; do
  ldconfig -p 2>/dev/null | grep -q "${lib%%:*}" || missing+=("${lib##*:}")
done
{ command -v fc-list >/dev/null 2>&1 && fc-list ':family=Liberation Sans' | grep -q .; } \
  || missing+=(fontconfig fonts-liberation2)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (Debian packages)"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash "$(dirname "$0")/ensure-frontend.sh"
