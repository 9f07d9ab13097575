#!/usr/bin/env bash
# make demo:       scripts/demo.sh BUILD_DIR          one real upgrade on this machine
# make demo-clean: scripts/demo.sh BUILD_DIR --clean  stop the demo's workloads, remove .demo/
#
# Copies examples/fleet to .demo/fleet, makes it a git repo with a bare origin
# (.demo/origin.git), starts every instance at its version, then upgrades one
# instance exactly as the runbook does, from inside its folder:
#   mi2 instance upgrade -target-version 4.2.0
#   mi2 instance check pods-health src-application-version
# and shows the pull request it opened in the local forge.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-build}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
MODE="${2:-}"
DEMO="$ROOT/.demo"
FLEET="$DEMO/fleet"
ORIGIN="$DEMO/origin.git"
SLUG="${DEMO_SLUG:-acme}"
ENVIRONMENT=dev
FROM_VERSION=4.1.0
TARGET_VERSION="${DEMO_TARGET_VERSION:-4.2.0}"

bold=$'\e[1m'; dim=$'\e[2m'; green=$'\e[32m'; red=$'\e[31m'; reset=$'\e[0m'
[[ -t 1 ]] || { bold=; dim=; green=; red=; reset=; }

# Stops every workload process the demo started (pid files under .demo/).
stop_workloads() {
  local pids=() pid file
  [[ -d "$DEMO" ]] || return 0
  while IFS= read -r -d '' file; do
    pid="$(cat "$file" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    # Only our workload program, never a reused pid of something else.
    if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" == */mi2-workload* ]]; then
      kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    fi
  done < <(find "$DEMO" -path '*/local/pids/*.pid' -print0 2>/dev/null)
  for _ in $(seq 50); do
    local left=()
    for pid in "${pids[@]}"; do
      if [[ -e "/proc/$pid" ]] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
        left+=("$pid")
      fi
    done
    pids=("${left[@]}")
    ((${#pids[@]} == 0)) && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

if [[ "$MODE" == "--clean" ]]; then
  stop_workloads
  rm -rf "$DEMO"
  echo "demo-clean: every demo workload is stopped and $DEMO is removed."
  exit 0
fi

MI2="$BUILD/bin/mi2"
if [[ ! -x "$MI2" || ! -x "$BUILD/bin/mi2-workload" || ! -f "$BUILD/plugins/mi2-plugin-local.so" ]]; then
  echo "demo: $BUILD has no mi2, mi2-workload or local plugin; run 'make demo' (it builds first)." >&2
  exit 1
fi
export PATH="$BUILD/bin:$PATH"
export MI2_WORKLOAD_BINARY="$BUILD/bin/mi2-workload"
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-mi2 demo}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-demo@localhost}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-mi2 demo}" GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-demo@localhost}"

DEMO_START=$(date +%s.%N)
STEP=0
step() { # step "title" -- what the user should notice
  STEP=$((STEP + 1))
  STEP_START=$(date +%s.%N)
  echo
  echo "${bold}[$STEP] $1${reset}"
  [[ -n "${2:-}" ]] && echo "${dim}    $2${reset}"
  return 0
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
took() { echo "${green}    done in $(elapsed "$STEP_START")s${reset}"; }
run() { # echo and run a command, indented
  echo "    \$ $*"
  "$@" 2>&1 | sed 's/^/      /'
  return "${PIPESTATUS[0]}"
}
fail() { echo "${red}demo failed: $*${reset}" >&2; echo "Stop what it started with: make demo-clean" >&2; exit 1; }

step "Prepare a fleet repo in $DEMO" "a copy of examples/fleet, a git repo whose origin is a bare repo"
stop_workloads
rm -rf "$DEMO"
mkdir -p "$DEMO"
cp -r "$ROOT/examples/fleet" "$FLEET"
git init -q --bare -b main "$ORIGIN"
git -C "$FLEET" init -q -b main
git -C "$FLEET" add -A
git -C "$FLEET" commit -q -m "Sample fleet"
git -C "$FLEET" remote add origin "$ORIGIN"
git -C "$FLEET" push -q origin main
cd "$FLEET"
run mi2 instance list -e "$ENVIRONMENT" || fail "mi2 instance list"
took

step "Start every instance at its current version" \
  "recipe first-deploy (mi2.yaml): create the SQLite database, run the migrations, start the workloads"
for dir in "$FLEET"/environments/$ENVIRONMENT/deployments/*/; do
  id="$(basename "$dir")"
  version="$(mi2 instance get -e "$ENVIRONMENT" --slug "$id" -jq .spec.sourcegraphVersion | tr -d '"')"
  echo "    \$ (cd environments/$ENVIRONMENT/deployments/$id && mi2 instance upgrade --recipe first-deploy -target-version $version)"
  if ! (cd "$dir" && mi2 instance upgrade --recipe first-deploy -target-version "$version") >"$DEMO/first-deploy-$id.log" 2>&1; then
    sed 's/^/      /' "$DEMO/first-deploy-$id.log"
    fail "the first deploy of $id"
  fi
  jq -r '"      " + ([.workloads[] | "\(.name) \(.version) on 127.0.0.1:\(.port)"] | join(", "))' \
    "$FLEET/.mi2/state/$ENVIRONMENT/$id/local/deployment.json"
done
took

step "Create the tracking issue for $TARGET_VERSION" "the runbook's first command"
run mi2 env create-tracking-issue -e "$ENVIRONMENT" "$TARGET_VERSION" || fail "mi2 env create-tracking-issue"
took

INSTANCE_ID="$(mi2 instance get -e "$ENVIRONMENT" --slug "$SLUG" | jq -r '.metadata.name')"
INSTANCE_DIR="$FLEET/environments/$ENVIRONMENT/deployments/$INSTANCE_ID"
cd "$INSTANCE_DIR"
step "Upgrade $SLUG ($INSTANCE_ID) from $FROM_VERSION to $TARGET_VERSION, inside its folder" \
  "health check, bump config.yaml, render, checkpoint, migrate, deploy (rolling), verify, open the PR"
echo "    \$ cd environments/$ENVIRONMENT/deployments/$INSTANCE_ID"
run mi2 instance upgrade -target-version "$TARGET_VERSION" || fail "mi2 instance upgrade"
took

step "Confirm the workload is healthy and serves the target version"
run mi2 instance check pods-health src-application-version || fail "mi2 instance check"
STATE="$FLEET/.mi2/state/$ENVIRONMENT/$INSTANCE_ID/local"
PORT="$(jq -r '.workloads[] | select(.name == "frontend") | .port' "$STATE/deployment.json")"
echo "    \$ curl http://127.0.0.1:$PORT/__version"
SERVED="$(curl -fsS "http://127.0.0.1:$PORT/__version")" || fail "the frontend does not answer"
echo "      $SERVED"
[[ "$SERVED" == "$TARGET_VERSION" ]] || fail "the frontend serves $SERVED, not $TARGET_VERSION"
run mi2 instance db status || true
took

step "The pull request the upgrade opened" "branch $SLUG/upgrade-instance on origin, label mi-upgrade"
PR_FILE="$(grep -l "\"branch\": \"$SLUG/upgrade-instance\"" "$FLEET"/.mi2/forge/pulls/*.json | head -n 1)"
[[ -n "$PR_FILE" ]] || fail "no pull request for $SLUG/upgrade-instance in the local forge"
PR_NUMBER="$(jq -r .number "$PR_FILE")"
run mi2 pr list --label mi-upgrade || echo "      (local forge: $FLEET/.mi2/forge/pulls/)"
if ! run mi2 pr view "$PR_NUMBER"; then
  jq -r '"    #\(.number) \(.title)  [\(.labels | join(", "))]  \(.state)\n    \(.url)\n"' "$PR_FILE"
  jq -r '.body' "$PR_FILE" | sed 's/^/      | /'
fi
run git -C "$ORIGIN" log --oneline "$SLUG/upgrade-instance" -n 2
run git -C "$ORIGIN" diff --stat main "$SLUG/upgrade-instance"
took

echo
echo "${bold}Demo finished in $(elapsed "$DEMO_START")s.${reset} $SLUG now serves $TARGET_VERSION at http://127.0.0.1:$PORT/__version"
cat <<EOF
Try next:
  export PATH="$BUILD/bin:\$PATH"; cd $INSTANCE_DIR
  mi2 run list                                 the runs and their journals
  mi2 pr list --label mi-upgrade               review, then: mi2 pr approve N; mi2 pr merge N --squash
  cd ../src-0d1e2f && mi2 instance upgrade -target-version 4.2.0-rc.1
                                               a release that never gets healthy: automatic rollback
The workloads keep running. Stop them all with: ${bold}make demo-clean${reset}
EOF
