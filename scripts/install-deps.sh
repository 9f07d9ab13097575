#!/usr/bin/env bash
# Installs the Debian packages mi2 needs to build, test and run the demo, when
# any is missing. Safe to run again: it does nothing when all are present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libboost-dev libboost-program-options-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libcurl4-openssl-dev libjq-dev libonig-dev libsqlite3-dev libcpp-httplib-dev libyaml-dev
  sqlite3 jq yq curl python3 time
  postgresql-15 postgresql-client-15
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "mi2: missing Debian packages: ${missing[*]}; run as root or install them with apt-get." >&2
  exit 1
fi
echo "mi2: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
