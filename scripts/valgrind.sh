#!/usr/bin/env bash
# Runs the short native suite (test/fixtures/valgrind-suite.js) under valgrind memcheck with the normal
# addon build, and fails on any memory error or any definite leak. Node and V8 keep memory reachable
# at exit on purpose, so only "definitely lost" and errors count. Takes a few minutes (valgrind runs
# Node's JIT code on its simulated CPU). Needs `npm install` (dist/ and build/) and valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)" >&2; exit 2; }
log=$(mktemp)
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --error-exitcode=99 --num-callers=30 --suppressions=scripts/valgrind.supp node --expose-gc test/fixtures/valgrind-suite.js 2>"$log" || status=$?
grep -E 'valgrind suite|definitely lost|indirectly lost|ERROR SUMMARY' "$log" || true
if [ "${status:-0}" -ne 0 ]; then
  echo "valgrind: FAILED (exit ${status}); first reports:"; grep -A25 -m3 -E 'Invalid|uninitialised|definitely lost in' "$log" | head -90
  exit 1
fi
echo "valgrind: clean"
