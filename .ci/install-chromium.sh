#!/bin/sh
# Installs headless Chromium and its WebDriver for sample-app's browser test
# (PoolChartPageTests). Idempotent: does nothing when both are present.
set -eu

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
	echo "chromium and chromedriver already installed: $(/usr/bin/chromium --version 2>/dev/null)"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver
/usr/bin/chromium --version
/usr/bin/chromedriver --version
