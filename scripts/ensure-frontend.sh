#!/usr/bin/env bash
# The web app serves GOV.UK Frontend (styles, fonts, images, scripts) itself, from the npm
# package pinned in package-lock.json; the browser tests inject axe-core from the same install.
# Install Debian's Node.js and npm when missing, then `npm ci` when node_modules is missing or
# older than the lock file. node_modules is never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "installing nodejs npm (Debian packages)"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
stamp=node_modules/.installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
