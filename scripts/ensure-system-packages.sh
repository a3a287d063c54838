#!/usr/bin/env bash
# The distribution's packages the tests need: Chromium for the browser tests (Playwright drives it;
# no browser download), a CJK font so the widget screenshot is readable, nginx for the fault tests'
# production-like profile. Installed with apt when running as root; otherwise one line says what to
# install, and the tests that need it fail with their own message.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk" || need+=(fonts-wqy-microhei)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${need[*]} (apt-get)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "missing system packages for the tests: sudo apt-get install ${need[*]}" >&2
fi
