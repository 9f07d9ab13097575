#!/usr/bin/env bash
# The package tests' fixture: `make package` (cpack, TGZ and DEB) into OUT_DIR,
# once for all of them. Usage: build_package.sh BUILD_DIR OUT_DIR
set -euo pipefail
build_dir=$1
out_dir=$2
rm -rf "$out_dir"
mkdir -p "$out_dir"
cd "$build_dir"
start=$(date +%s.%N)
cpack -G "TGZ;DEB" -B "$out_dir" --config "$build_dir/CPackConfig.cmake" > "$out_dir/cpack.log" 2>&1 ||
  { cat "$out_dir/cpack.log"; echo "FAIL: cpack"; exit 1; }
rm -rf "$out_dir/_CPack_Packages"
ls -l "$out_dir"/mi2-*.tar.gz "$out_dir"/mi2_*.deb
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "packages built in %.1fs\n", b - a }'
