#!/usr/bin/env bash
# Builds the libFuzzer harnesses (test/fuzz/) with clang-14 into build-fuzz/ and runs each for a
# bounded time on a copy of its seed corpus (test/fuzz/corpus/<target>/); first replays every seed and
# every kept regression input (test/fuzz/regressions/<target>/). Prints executions per target; exits
# non-zero on any crash, leaving the input in build-fuzz/crashes/<target>/.
#
# Usage: npm run fuzz -- [--seconds N] [--only TARGET] [--seed S]  (--seed: repeatable input sequence, for CI)     (default 30 s each; install: scripts/install-fuzz-deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=30
ONLY=""
SEED=0   # libFuzzer: 0 = a fresh random seed
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    *) echo "fuzz: unknown argument $1" >&2; exit 2 ;;
  esac
done
CXX_BIN=${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++ || true)}
if [ -z "$CXX_BIN" ]; then echo "fuzz: clang++ not found; run scripts/install-fuzz-deps.sh" >&2; exit 2; fi
OUT=build-fuzz
cmake -S test/fuzz -B "$OUT" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$OUT.log" 2>&1 \
  || { tail -20 "$OUT.log"; exit 1; }
cmake --build "$OUT" -j "$(nproc)" >>"$OUT.log" 2>&1 || { tail -40 "$OUT.log"; exit 1; }

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for target in json safetensors cosine_index embedding_table models; do
  [ -n "$ONLY" ] && [ "$ONLY" != "$target" ] && continue
  bin="$OUT/fuzz_$target"
  seeds="test/fuzz/corpus/$target"
  kept="test/fuzz/regressions/$target"
  crashes="$OUT/crashes/$target"
  work="$OUT/work/$target"
  mkdir -p "$crashes" "$work" "$kept"
  # 1. Replay: every seed and every past crash must now pass.
  if ! "$bin" -runs=0 "$seeds" "$kept" >"$OUT/$target.replay.log" 2>&1; then
    echo "fuzz $target: a seed or regression input fails:"; tail -30 "$OUT/$target.replay.log"; status=1; continue
  fi
  # 2. Fuzz for a bounded time (new inputs go to a scratch copy; the repo corpus stays small).
  cp -n "$seeds"/* "$work"/ 2>/dev/null || true
  if "$bin" -seed="$SEED" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
       -artifact_prefix="$crashes/" -print_final_stats=1 "$work" >"$OUT/$target.log" 2>&1; then
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$OUT/$target.log" | grep -Eo '[0-9]+$' || echo '?')
    echo "fuzz $target: $runs executions in ${SECONDS_EACH}s, no crash"
  else
    echo "fuzz $target: CRASH (input in $crashes/):"; grep -E 'ERROR|runtime error|SUMMARY|==ERROR' "$OUT/$target.log" | head -5; status=1
  fi
done
exit $status
