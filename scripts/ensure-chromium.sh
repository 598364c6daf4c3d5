#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests (playwright-core drives
# /usr/bin/chromium; it never downloads a browser of its own). Idempotent: does nothing when
# chromium is already on the PATH. Without root or apt-get it says why and leaves the decision to
# the tests, which then fail with a message naming the missing browser.
set -uo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: chromium is not installed and apt-get is not available; install chromium so that /usr/bin/chromium exists" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "ensure-chromium: chromium is not installed and this user is not root (no passwordless sudo); run: apt-get install -y chromium" >&2
    exit 0
  fi
else
  SUDO=
fi
echo "ensure-chromium: installing Debian's chromium for the browser tests" >&2
if ! (DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium); then
  echo "ensure-chromium: apt-get could not install chromium; the browser tests will fail until it is installed" >&2
fi
exit 0
