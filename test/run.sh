#!/usr/bin/env bash
# Runs the compiled tests with node's test runner, one file at a time (tests share
# RabbitMQ, the kernel and the neutron-server, and name what they create per run).
# Usage: test/run.sh [unit|integration|interop|all] [extra node --test args]
set -euo pipefail
cd "$(dirname "$0")/.."
tier=${1:-all}; shift || true
case "$tier" in
  unit|integration|interop) dirs=("dist/test/$tier") ;;
  all) dirs=(dist/test/unit dist/test/integration dist/test/interop) ;;
  *) echo "usage: test/run.sh [unit|integration|interop|all]" >&2; exit 2 ;;
esac
mapfile -t files < <(find "${dirs[@]}" -name '*.test.js' 2>/dev/null | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files under ${dirs[*]}" >&2; exit 1; fi
exec node --enable-source-maps --test --test-concurrency=1 --test-reporter=spec "$@" "${files[@]}"
