#!/usr/bin/env bash
# npm run bench: every compiled bench/*.bench.js in turn, each printing its own
# side-by-side table (nucleon vs the Python original, same machine, same run).
# Usage: bench/run.sh [name-filter [bench options...]]
#   e.g. bench/run.sh ovs --smoke   (the OVS agent bench with 2 ports: checks the bench itself)
# The options go to every benchmark the filter selects (the others ignore them).
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-}
[ $# -gt 0 ] && shift
mapfile -t files < <(find dist/bench -maxdepth 1 -name '*.bench.js' | sort)
[ ${#files[@]} -gt 0 ] || { echo "no benchmarks built under dist/bench" >&2; exit 1; }
for f in "${files[@]}"; do
  [ -n "$filter" ] && [[ "$f" != *"$filter"* ]] && continue
  echo "== $(basename "$f" .bench.js)"
  node --enable-source-maps "$f" "$@"
done
