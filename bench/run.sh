#!/bin/sh
# Fleet-query benchmark (not a test): `mi2 env workflow run ... -format json`
# against `yq -c 'select(FILTER)'` over the same config.yaml files, on
# generated fleets of 1,000 and 10,000 instances. Checks both select the same
# instance ids, then prints wall time, CPU time, the ratio and peak memory.
#
#   bench/run.sh BUILD_DIR [SIZES...]      (default sizes: 1000 10000)
#
# Fleets are generated once into BUILD_DIR/bench-fleets. Each tool runs
# REPEAT times (default 3) on a warm page cache; the best wall time counts.
set -eu

build=${1:?usage: bench/run.sh BUILD_DIR [SIZES...]}
shift
sizes=${*:-1000 10000}
repeat=${REPEAT:-3}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
mi2="$build/bin/mi2"
fleets="$build/bench-fleets"
work=$(mktemp -d "${TMPDIR:-/tmp}/mi2-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

[ -x "$mi2" ] || { echo "bench: $mi2 not built; run make build first" >&2; exit 1; }
command -v yq >/dev/null || { echo "bench: yq not found (Debian: yq)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time not found (Debian: time)" >&2; exit 1; }

TARGET_VERSION=4.1.0
export TARGET_VERSION
# The runbook's production filter.
filter='.metadata.labels."instance-type" == "production" and .spec.sourcegraphVersion != "'$TARGET_VERSION'" and .spec.releaseChannel != "insiders" and .spec.releaseChannel != "pause"'

# measure NAME COMMAND...: runs COMMAND (stdout to $work/NAME.out) REPEAT
# times; sets best_wall, best_cpu (seconds) and peak_kb over the runs.
measure() {
  name=$1
  shift
  best_wall=
  best_cpu=
  peak_kb=0
  i=0
  while [ "$i" -lt "$repeat" ]; do
    /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.out"
    read -r wall user sys kb <"$work/$name.time"
    cpu=$(echo "$user $sys" | awk '{printf "%.2f", $1 + $2}')
    if [ -z "$best_wall" ] || awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || awk "BEGIN{exit !($cpu < $best_cpu)}"; then best_cpu=$cpu; fi
    [ "$kb" -gt "$peak_kb" ] && peak_kb=$kb
    i=$((i + 1))
  done
}

printf '%-8s %-9s %9s %9s %10s %9s %9s %9s\n' instances tool wall_s cpu_s peak_MB selected yq/mi2 yq/mi2
printf '%-8s %-9s %9s %9s %10s %9s %9s %9s\n' '' '' '' '' '' '' '(wall)' '(cpu)'

summary=
for n in $sizes; do
  fleet="$fleets/$n"
  if [ ! -f "$fleet/.complete" ]; then
    rm -rf "$fleet"
    python3 "$here/gen_fleet.py" "$fleet" "$n"
    touch "$fleet/.complete"
  fi
  cat "$fleet"/environments/prod/deployments/*/config.yaml >/dev/null  # warm the page cache

  cd "$fleet"
  # Cold: no scan cache (every config.yaml parsed; the run writes the cache).
  measure mi2cold sh -c 'rm -rf .mi2/cache && exec "$@"' sh \
    "$mi2" env workflow run -e prod -filter "$filter" -format json upgrade-instance
  cold_wall=$best_wall cold_cpu=$best_cpu cold_kb=$peak_kb
  jq -r '.[].instance' "$work/mi2cold.out" | sort >"$work/mi2cold.ids"
  # Warm: the cache is valid (files unchanged since the last run).
  measure mi2 "$mi2" env workflow run -e prod -filter "$filter" -format json upgrade-instance
  mi2_wall=$best_wall mi2_cpu=$best_cpu mi2_kb=$peak_kb
  jq -r '.[].instance' "$work/mi2.out" | sort >"$work/mi2.ids"

  measure yq yq -c "select($filter)" environments/prod/deployments/*/config.yaml
  yq_wall=$best_wall yq_cpu=$best_cpu yq_kb=$peak_kb
  jq -r '.metadata.name' "$work/yq.out" | sort >"$work/yq.ids"
  cd - >/dev/null

  for ids in mi2 mi2cold; do
    if ! cmp -s "$work/$ids.ids" "$work/yq.ids"; then
      echo "bench: $ids and yq selected different instances at $n:" >&2
      diff "$work/$ids.ids" "$work/yq.ids" | head -20 >&2
      exit 1
    fi
  done
  selected=$(wc -l <"$work/mi2.ids")
  row() {  # tool wall cpu kb
    ratio_wall=$(awk "BEGIN{printf \"%.1fx\", $yq_wall / ($2 > 0 ? $2 : 0.005)}")
    ratio_cpu=$(awk "BEGIN{printf \"%.1fx\", $yq_cpu / ($3 > 0 ? $3 : 0.005)}")
    printf '%-8s %-9s %9s %9s %10s %9s %9s %9s\n' "$n" "$1" "$2" "$3" \
      "$(awk "BEGIN{printf \"%.1f\", $4 / 1024}")" "$selected" "$ratio_wall" "$ratio_cpu"
  }
  row mi2-cold "$cold_wall" "$cold_cpu" "$cold_kb"
  row mi2-warm "$mi2_wall" "$mi2_cpu" "$mi2_kb"
  printf '%-8s %-9s %9s %9s %10s %9s\n' "$n" yq "$yq_wall" "$yq_cpu" \
    "$(awk "BEGIN{printf \"%.1f\", $yq_kb / 1024}")" "$selected"
  summary="$summary $n:$cold_cpu:$mi2_cpu"
done

# Stages of the largest run (warm), from mi2's own debug log.
last=$(echo "$sizes" | awk '{print $NF}')
(cd "$fleets/$last" && "$mi2" env workflow run -v -e prod -filter "$filter" -format json \
  upgrade-instance 2>&1 >/dev/null | grep 'scanned' || true)

# Linearity: CPU time per instance at each size.
for entry in $summary; do
  n=${entry%%:*} rest=${entry#*:}
  cold=${rest%%:*} warm=${rest#*:}
  awk "BEGIN{printf \"mi2 at %s instances: %.1f us (cold) / %.1f us (warm) CPU per instance\\n\", $n, $cold * 1e6 / $n, $warm * 1e6 / $n}"
done
# Does the hand-written block reader pay over libyaml alone? (parse only)
if [ -x "$build/bench/yaml_scan_bench" ]; then
  "$build/bench/yaml_scan_bench" "$fleets/$last/environments/prod/deployments"
fi
cores=$(nproc)
echo "machine: $cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
