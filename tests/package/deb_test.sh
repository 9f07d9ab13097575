#!/usr/bin/env bash
# The .deb: the same layout under /usr, Debian's libraries as dependencies
# (none bundled), and an mi2 that finds /usr/lib/mi2/plugins relative to
# /usr/bin/mi2 (checked by unpacking it into a temp root with dpkg-deb -x).
# Usage: deb_test.sh PACKAGE_DIR
set -euo pipefail
pkg_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
deb=$(ls "$pkg_dir"/mi2_*.deb)
dpkg-deb --info "$deb" > "$work/info"
grep -q "^ Package: mi2$" "$work/info" || fail "the package is not named mi2"
depends=$(grep "^ Depends:" "$work/info" || true)
for lib in libyaml-cpp libjq libboost-program-options libcurl; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
dpkg-deb --contents "$deb" > "$work/contents"
for f in ./usr/bin/mi2 ./usr/bin/mi2-workload ./usr/lib/mi2/plugins/mi2-plugin-local.so \
  ./usr/include/mi2/plugin.h ./usr/lib/pkgconfig/mi2-sdk.pc ./usr/lib/cmake/mi2-sdk/mi2-sdk-config.cmake \
  ./usr/share/bash-completion/completions/mi2 ./usr/share/doc/mi2/README.md; do
  grep -q " $f\$" "$work/contents" || fail "the .deb has no $f"
done
grep -q "/usr/lib/mi2/lib/" "$work/contents" && fail "the .deb carries bundled libraries"
dpkg-deb -x "$deb" "$work/root"
env -i PATH=/usr/bin:/bin "$work/root/usr/bin/mi2" plugin list --json |
  jq -e --arg d "$work/root/usr/lib/mi2/plugins" '.search_path == [$d] and (.plugins | length) >= 7' >/dev/null ||
  fail "the unpacked .deb's mi2 does not use its own plugins"
echo "$depends"
echo "PASS"
