#!/bin/sh
# Installs (once) the Debian packages the build, the tests and the reference scripts need.
set -eu
PACKAGES="cmake ninja-build g++ pkg-config libdnnl-dev nlohmann-json3-dev libcli11-dev
libgtest-dev libgmock-dev python3-torch python3-torchvision python3-numpy time"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
