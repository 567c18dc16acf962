#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium is installed for the browser test of the wijkprofiel report.
# Installs it from the distribution's packages only when /usr/bin/chromium is missing (no browser download
# of its own: Playwright drives this binary through executable_path).
set -euo pipefail
CHROMIUM=${WIJKBEELD_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ERROR: $CHROMIUM is missing and apt-get is not available; install Chromium by hand" \
    "(or set WIJKBEELD_CHROMIUM to its path) to run the browser test." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ERROR: $CHROMIUM is missing; run as root or install sudo: apt-get install -y chromium" >&2
    exit 1
  fi
  SUDO="sudo"
fi
echo "Installing Debian chromium for the browser test (one-off)..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "ERROR: apt-get installed chromium but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "Chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
