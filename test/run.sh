#!/usr/bin/env bash
# Runs the compiled tests with node's test runner, one file at a time (tests share
# RabbitMQ, the kernel and the neutron-server, and name what they create per run).
# Usage: test/run.sh [unit|integration|interop|all] [extra node --test args]
#
# Tiers run in order (unit, integration, interop); a failing tier does not stop the later
# ones, the exit status is non-zero if any failed. Before the interop tier the harness
# neutron-server is brought up (test/harness/neutron-server.sh up) and its NUCLEON_TEST_*
# variables exported; after it (also on failure or interrupt) it is brought down again,
# unless it was already running before (then it is left as found) or
# NUCLEON_TEST_KEEP_SERVER=1.
set -euo pipefail
cd "$(dirname "$0")/.."
tier=${1:-all}; shift || true
case "$tier" in
  unit|integration|interop) tiers=("$tier") ;;
  all) tiers=(unit integration interop) ;;
  *) echo "usage: test/run.sh [unit|integration|interop|all]" >&2; exit 2 ;;
esac

harness=test/harness/neutron-server.sh
started_server=0
stop_server() {
  if [ $started_server = 1 ] && [ "${NUCLEON_TEST_KEEP_SERVER:-0}" != 1 ]; then
    started_server=0
    bash "$harness" down || echo "test/run.sh: harness down failed" >&2
  fi
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

total=0 failed=()
for t in "${tiers[@]}"; do
  mapfile -t files < <(find "dist/test/$t" -name '*.test.js' 2>/dev/null | sort)
  if [ ${#files[@]} -eq 0 ]; then echo "test/run.sh: no test files under dist/test/$t" >&2; continue; fi
  total=$((total + ${#files[@]}))
  if [ "$t" = interop ]; then
    if ! bash "$harness" status >/dev/null 2>&1; then
      started_server=1
      bash "$harness" up || { echo "test/run.sh: neutron-server harness did not come up" >&2; failed+=("$t"); continue; }
    fi
    eval "$(bash "$harness" env)"
  fi
  echo "=== test tier: $t (${#files[@]} files)"
  node --enable-source-maps --test --test-concurrency=1 --test-reporter=spec "$@" "${files[@]}" || failed+=("$t")
  [ "$t" = interop ] && stop_server
done
if [ $total -eq 0 ]; then echo "no test files under dist/test/{${tiers[*]}}" >&2; exit 1; fi
if [ ${#failed[@]} -gt 0 ]; then echo "test/run.sh: FAILED tiers: ${failed[*]}" >&2; exit 1; fi
echo "test/run.sh: all tiers passed"
