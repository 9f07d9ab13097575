#!/usr/bin/env bash
# Installs mi2 and its SDK into a temp prefix, builds examples/c-plugin out of
# tree against it, and runs the plugin's check through the installed mi2.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples/c-plugin" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
plugin="$work/build/mi2-plugin-http_probe.so"
test -f "$plugin" || { echo "FAIL: $plugin was not built"; exit 1; }
if nm -D --defined-only "$plugin" | grep -v ' mi2_plugin_entry$' | grep -q ' T '; then
  echo "FAIL: the plugin exports more than mi2_plugin_entry"; exit 1
fi

mi2="$work/prefix/bin/mi2"
"$mi2" --plugin-dir "$work/build" plugin describe http_probe | grep -q 'http-probe' \
  || { echo "FAIL: plugin describe does not show the check"; exit 1; }

# A fleet whose health check is the C plugin, probing a local server.
mkdir -p "$work/www" "$work/fleet/environments/dev/deployments/src-one"
echo ok > "$work/www/healthz"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
  sleep 0.1
done
cat > "$work/fleet/mi2.yaml" <<YAML
roles: {healthcheck: [http_probe]}
plugins: {http_probe: {url: "http://127.0.0.1:$port/healthz"}}
plugin_dirs: ["$work/build"]
YAML
cat > "$work/fleet/environments/dev/deployments/src-one/config.yaml" <<YAML
apiVersion: sourcegraph.com/v1
kind: SourcegraphCloud
metadata: {name: src-one}
spec: {displayName: one, sourcegraphVersion: 4.0.0}
YAML
cd "$work/fleet/environments/dev/deployments/src-one"
out=$("$mi2" instance check http-probe)
echo "$out"
echo "$out" | grep -q "ok     http-probe: GET http://127.0.0.1:$port/healthz answered 200" \
  || { echo "FAIL: the check did not pass"; exit 1; }
# The same check fails, exit 1, when the URL answers 404.
sed -i "s#/healthz#/missing#" "$work/fleet/mi2.yaml"
if "$mi2" instance check http-probe; then echo "FAIL: a 404 passed"; exit 1; fi
echo "PASS"
