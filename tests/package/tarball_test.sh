#!/usr/bin/env bash
# The release tarball as a user gets it: unpacked into a temp prefix the way
# the example workflow installs it (tar -xz --strip-components=1), then moved
# elsewhere; mi2 there finds its own plugins (and no others), its bundled
# libraries, and runs the sample fleet: a first deploy and a dry-run upgrade.
# Usage: tarball_test.sh PACKAGE_DIR SOURCE_DIR
set -euo pipefail
pkg_dir=$1
source_dir=$2
work=$(mktemp -d)
fleet="$work/fleet"
stop_workloads() {
  local file pid
  [[ -d "$fleet/.mi2" ]] || return 0
  while IFS= read -r -d '' file; do
    pid="$(cat "$file" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    [[ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" == */mi2-workload* ]] && kill -KILL "$pid" 2>/dev/null
  done < <(find "$fleet/.mi2" -path '*/local/pids/*.pid' -print0 2>/dev/null)
  return 0
}
trap 'stop_workloads; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

shopt -s nullglob
tarballs=("$pkg_dir"/mi2-*-linux-*.tar.gz)
((${#tarballs[@]} == 1)) || fail "expected one mi2-<version>-linux-<arch>.tar.gz in $pkg_dir"
tarball=${tarballs[0]}
top=$(basename "$tarball" .tar.gz)
listing=$(tar -tzf "$tarball")
grep -qx "$top/bin/mi2" <<<"$listing" || fail "$tarball has no $top/bin/mi2 (one top folder)"

# The example workflow installs exactly this: that name, that layout.
workflow="$source_dir/examples/fleet/.github/workflows/mi_upgrade.yml"
grep -q 'mi2-<version>-linux-x86_64.tar.gz' "$workflow" || fail "the workflow names another tarball"
grep -q 'tar -xzf "$RUNNER_TEMP/mi2.tar.gz" -C /usr/local --strip-components=1' "$workflow" ||
  fail "the workflow does not unpack the tarball's top folder into /usr/local"
# As the workflow's install step does.
mkdir -p "$work/first"
tar -xzf "$tarball" -C "$work/first" --strip-components=1
mv "$work/first" "$work/moved"  # relocatable: nothing points back at the first place
prefix="$work/moved"
for f in bin/mi2 bin/mi2-workload lib/mi2/plugins/mi2-plugin-local.so \
  lib/mi2/plugins/mi2-plugin-kubectl.so lib/mi2/plugins/mi2-plugin-github.so \
  include/mi2/plugin.h include/mi2/sdk/plugin.hpp lib/cmake/mi2-sdk/mi2-sdk-config.cmake \
  lib/pkgconfig/mi2-sdk.pc share/bash-completion/completions/mi2 share/zsh/site-functions/_mi2 \
  share/fish/vendor_completions.d/mi2.fish share/doc/mi2/README.md; do
  [[ -e "$prefix/$f" ]] || fail "the tarball has no $f"
done
if ls "$prefix"/lib/mi2/plugins | grep -vq '^mi2-plugin-[a-z0-9_-]*\.so$'; then
  fail "lib/mi2/plugins holds more than plugins: $(ls "$prefix"/lib/mi2/plugins)"
fi
ls "$prefix"/lib/mi2/plugins | grep -q test && fail "test plugins were packaged"
ls "$prefix"/lib/mi2/lib/libyaml-cpp.so.* >/dev/null || fail "libyaml-cpp is not bundled"
libs=$(ldd "$prefix/bin/mi2")
for lib in libyaml-cpp libjq libonig libboost_program_options libspdlog; do
  grep "$lib" <<<"$libs" | grep -q "=> $prefix/bin/../lib/mi2/lib/" ||
    fail "bin/mi2 does not load the bundled $lib: $libs"
done
grep libsqlite3 <<<"$(ldd "$prefix/lib/mi2/plugins/mi2-plugin-local.so")" |
  grep -q "=> $prefix/lib/mi2/plugins/../lib/libsqlite3" ||
  fail "the local plugin does not load the bundled libsqlite3"
echo "ok: layout, $(du -sh "$prefix" | cut -f1) unpacked"

# A clean environment: only the system's PATH, no plugin path, no build tree.
run() { env -i HOME="$work" PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"; }
out=$(run "$prefix/bin/mi2" plugin list 2>"$work/err") || fail "mi2 plugin list: $(cat "$work/err")"
echo "$out"
[[ -s "$work/err" ]] && fail "mi2 plugin list said on stderr: $(cat "$work/err")"
for name in local kubectl terraform github gitlab postgres cloudsql; do
  grep -q "^$name .*$prefix/lib/mi2/plugins/mi2-plugin-$name.so" <<<"$out" ||
    fail "plugin list does not show $name from the package"
done
search=$(run "$prefix/bin/mi2" plugin list --json | jq -c .search_path)
[[ "$search" == "[\"$prefix/lib/mi2/plugins\"]" ]] || fail "search path is $search"
run "$prefix/bin/mi2" --version | grep -q "^mi2 " || fail "mi2 --version"
echo "ok: plugin list"

# The sample fleet, as make demo sets it up; git is the system's.
cp -r "$source_dir/examples/fleet" "$fleet"
rm -rf "$fleet/.mi2"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@localhost GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@localhost
git init -q --bare -b main "$work/origin.git"
git -C "$fleet" init -q -b main
git -C "$fleet" add -A
git -C "$fleet" commit -q -m "Sample fleet"
git -C "$fleet" remote add origin "$work/origin.git"
git -C "$fleet" push -q origin main
gitenv=(GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@localhost GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@localhost)
cd "$fleet/environments/dev/deployments/src-1a2b3c"
run "${gitenv[@]}" "$prefix/bin/mi2" instance upgrade --recipe first-deploy -target-version 4.1.0 \
  >"$work/deploy.log" 2>&1 || { cat "$work/deploy.log"; fail "the first deploy from the package"; }
run "${gitenv[@]}" "$prefix/bin/mi2" instance upgrade -target-version 4.2.0 --dry-run \
  >"$work/plan.log" 2>&1 || { cat "$work/plan.log"; fail "the dry-run upgrade from the package"; }
cat "$work/plan.log"
grep -q "dry run" "$work/plan.log" || fail "the dry run printed no plan"
grep -q "4.2.0" "$work/plan.log" || fail "the plan does not name 4.2.0"
grep -q 'sourcegraphVersion: "\?4.1.0' config.yaml || fail "the dry run changed config.yaml"
echo "PASS"
