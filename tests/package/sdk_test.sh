#!/usr/bin/env bash
# The SDK in the release tarball: examples/c-plugin builds against the unpacked
# SDK with CMake (find_package(mi2-sdk)) and with `pkg-config --cflags mi2-sdk`,
# and the packaged mi2 loads both builds.
# Usage: sdk_test.sh PACKAGE_DIR SOURCE_DIR
set -euo pipefail
pkg_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
tarball=$(ls "$pkg_dir"/mi2-*-linux-*.tar.gz)
mkdir -p "$work/prefix"
tar -xzf "$tarball" -C "$work/prefix" --strip-components=1
prefix="$work/prefix"

cmake -S "$source_dir/examples/c-plugin" -B "$work/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "cmake configure"; }
cmake --build "$work/cmake-build" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "cmake build"; }
grep -q -- "-I$prefix/include\|-isystem $prefix/include" "$work/cmake-build/build.ninja" ||
  fail "the CMake build does not use the unpacked SDK's headers"
echo "ok: CMake find_package(mi2-sdk)"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags mi2-sdk) || fail "pkg-config --cflags mi2-sdk"
cflags=${cflags%% }
[[ "$(pkg-config --modversion mi2-sdk)" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "pkg-config --modversion"
[[ "$(realpath -m "${cflags#-I}")" == "$prefix/include" ]] || fail "pkg-config gives $cflags"
mkdir -p "$work/pc-build"
# shellcheck disable=SC2086
cc -std=c99 -Wall -Wextra -pedantic -fPIC -shared -fvisibility=hidden -Wl,-z,defs $cflags \
  -o "$work/pc-build/mi2-plugin-http_probe.so" "$source_dir/examples/c-plugin/http_probe.c" ||
  fail "cc with pkg-config --cflags mi2-sdk"
echo "ok: pkg-config --cflags mi2-sdk ($cflags)"

for dir in "$work/cmake-build" "$work/pc-build"; do
  env -i PATH=/usr/bin:/bin "$prefix/bin/mi2" --plugin-dir "$dir" plugin describe http_probe |
    grep -q 'http-probe' || fail "the packaged mi2 does not load the plugin built in $dir"
done
echo "PASS"
