#!/usr/bin/env bash
# `mi2 completion bash` in a real bash: source the script, then ask the
# completion function what it offers for a command line, as bash does on TAB.
# The fleet's environments, slugs and runs and the plugins come from mi2 itself
# (`mi2 __complete`). zsh and fish scripts are checked too when those shells are
# installed. Usage: completion_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$build_dir/bin:$PATH" MI2_FLEET_ROOT= MI2_PLUGIN_PATH=
failures=0

cp -r "$source_dir/examples/fleet" "$work/fleet"
mkdir -p "$work/fleet/.mi2/state/dev/src-1a2b3c/runs"
touch "$work/fleet/.mi2/state/dev/src-1a2b3c/runs/20240101T000000Z-a1b2c3.jsonl"
cd "$work/fleet"

mi2 completion bash > "$work/mi2.bash" || { echo "FAIL: mi2 completion bash"; exit 1; }
# shellcheck disable=SC1091
source "$work/mi2.bash"
complete -p mi2 | grep -q -- '-F _mi2 mi2' || { echo "FAIL: complete -p mi2: $(complete -p mi2)"; exit 1; }

# offer WORDS... : what TAB offers after WORDS (the last word is the one being
# completed), sorted, space-separated.
offer() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="$*"
  COMPREPLY=()
  _mi2
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
# expect "WORDS" "what" — the offer equals WHAT exactly
expect() {
  local got
  got=$(eval "offer $1")
  if [[ "$got" != "$2" ]]; then
    echo "FAIL: mi2 completion of [$1]: expected [$2], got [$got]"
    failures=$((failures + 1))
  else
    echo "ok: [$1] -> [$got]"
  fi
}
# has "WORDS" "word..." — the offer includes each word
has() {
  local got w
  got=" $(eval "offer $1") "
  for w in $2; do
    if [[ "$got" != *" $w "* ]]; then
      echo "FAIL: mi2 completion of [$1]: [$w] missing from [$got]"
      failures=$((failures + 1))
      return
    fi
  done
  echo "ok: [$1] has [$2]"
}
lacks() {
  local got
  got=" $(eval "offer $1") "
  if [[ "$got" == *" $2 "* ]]; then
    echo "FAIL: mi2 completion of [$1] offers [$2]"
    failures=$((failures + 1))
  else
    echo "ok: [$1] lacks [$2]"
  fi
}

# The command table: groups, commands, subcommands; the hidden one never.
expect "mi2 ''" "completion env instance plugin pr run"
lacks "mi2 _" "__complete"
lacks "mi2 _" "__plugin-host"
expect "mi2 instance ''" "backup check db get list restore rollback unlock upgrade workon"
expect "mi2 instance up" "upgrade"
expect "mi2 env ''" "create-tracking-issue status tracking-issue upgrade workflow"
expect "mi2 env tracking-issue ''" "sync"
has "mi2 env tracking-issue sync --" "--dry-run --json --output --environment --help"
expect "mi2 env tracking-issue sync -dr" "-dry-run"
expect "mi2 env status --h" "--help --html"
expect "mi2 env status -e ''" "dev"
expect "mi2 env workflow ''" "run status"
expect "mi2 instance db ''" "repair status"
expect "mi2 instance backup c" "create"
expect "mi2 pr ''" "approve list merge view"
expect "mi2 completion ''" "bash fish zsh"
expect "mi2 -v --log-format json instance g" "get"

# Options, in the runbook's -flag spelling and as --flag.
expect "mi2 instance upgrade --target" "--target-version"
expect "mi2 instance upgrade -target" "-target-version"
has "mi2 instance upgrade --" "--dry-run --resume --force --recipe --environment --slug --help --quiet"
has "mi2 env workflow run -" "--filter --format --exec --exec.concurrency --environment -e -h"
has "mi2 env workflow run -f" "-filter -format"
lacks "mi2 env workflow run -f" "--filter"
has "mi2 instance list --" "--json --output --jq --environment"
expect "mi2 pr list --st" "--state"
expect "mi2 instance db status --js" "--json"

# Option values: fixed words, and the fleet's environments and slugs.
expect "mi2 env workflow run -filter x -format ''" "json text"
expect "mi2 instance list -o ''" "json table"
expect "mi2 --log-format ''" "json text"
expect "mi2 instance list -e ''" "dev"
expect "mi2 instance list --environment ''" "dev"
expect "mi2 instance list --environment = ''" "dev"
has "mi2 instance get -e dev --slug ''" "acme globex initech umbrella src-1a2b3c"
expect "mi2 instance get -e dev -slug ac" "acme"
expect "mi2 instance get -e dev -s g" "globex"
expect "mi2 instance get -e nowhere --slug ''" ""
# Inside an instance folder the environment is inferred, as mi2 does.
cd environments/dev/deployments/src-1a2b3c
has "mi2 instance get --slug ''" "acme umbrella"
expect "mi2 run show ''" "20240101T000000Z-a1b2c3"
cd "$work/fleet"

# Plugin names from the search path (the build's plugins).
has "mi2 plugin describe ''" "local kubectl terraform github"
has "mi2 instance backup list --provider ''" "local"

# Outside a fleet: commands and options still, values empty, no error text.
cd "$work"
expect "mi2 instance list -e ''" ""
expect "mi2 instance ch" "check"
cd "$work/fleet"

# zsh and fish, when installed.
if command -v zsh >/dev/null; then
  mi2 completion zsh > "$work/_mi2"
  if zsh -n "$work/_mi2"; then echo "ok: zsh parses the zsh script"; else
    echo "FAIL: zsh -n _mi2"; failures=$((failures + 1)); fi
else
  echo "SKIP: zsh is not installed; the zsh script was not checked"
fi
if command -v fish >/dev/null; then
  mi2 completion fish > "$work/mi2.fish"
  got=$(fish -c "source '$work/mi2.fish'; complete -C 'mi2 instance up'" 2>&1 | cut -f1 | tr '\n' ' ')
  if [[ "$got" == "upgrade " ]]; then echo "ok: fish offers [upgrade]"; else
    echo "FAIL: fish complete -C 'mi2 instance up' gave [$got]"; failures=$((failures + 1)); fi
  got=$(fish -c "source '$work/mi2.fish'; complete -C 'mi2 instance list -e '" 2>&1 | cut -f1 | tr '\n' ' ')
  if [[ "$got" == "dev " ]]; then echo "ok: fish offers [dev]"; else
    echo "FAIL: fish complete -C 'mi2 instance list -e ' gave [$got]"; failures=$((failures + 1)); fi
else
  echo "SKIP: fish is not installed; the fish script was not checked"
fi

# Unknown shells are a usage error naming the shells.
out=$(mi2 completion tcsh 2>&1); code=$?
if [[ $code -ne 2 || "$out" != *"bash, zsh and fish"* ]]; then
  echo "FAIL: mi2 completion tcsh: exit $code, $out"; failures=$((failures + 1)); fi

if ((failures > 0)); then echo "FAILED: $failures"; exit 1; fi
echo "PASS"
