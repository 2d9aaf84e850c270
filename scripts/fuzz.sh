#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs each for a fixed
# time; fails on any crash, sanitizer report, timeout or out-of-memory.
#
#   scripts/fuzz.sh [TOTAL_SECONDS] [NAME...]
#     TOTAL_SECONDS  time shared evenly by the fuzzers run (default 60)
#     NAME           tokenizer model_file converter jsonl http_request infer_request (default: all)
#   e.g. scripts/fuzz.sh 3600 converter    # one hour on the converter alone
#
# New inputs accumulate in build-fuzz/corpus/<name>/ (the committed seeds, tests/fuzz/<name>/,
# are read, never written); crashes are saved as build-fuzz/artifacts/<name>/crash-*.
# Reproduce one with: build-fuzz/tests/fuzz/fuzz_<name> build-fuzz/artifacts/<name>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

total=${1:-60}
shift || true
all=(tokenizer model_file converter jsonl http_request infer_request)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")

if ! command -v clang++ >/dev/null; then
  echo "[fuzz] clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi

start=$(date +%s)
launcher=()
command -v ccache >/dev/null &&
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake --preset fuzz "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target crossenc_fuzzers
echo "[fuzz] built in $(( $(date +%s) - start ))s"

runnable=()
for n in "${names[@]}"; do
  if [ -x "build-fuzz/tests/fuzz/fuzz_$n" ]; then
    runnable+=("$n")
  elif [ "$n" = infer_request ]; then
    echo "[fuzz] fuzz_infer_request not built (server off); skipped"
  else
    echo "[fuzz] unknown fuzzer '$n' (known: ${all[*]})" >&2
    exit 1
  fi
done
per=$(( total / ${#runnable[@]} ))
[ "$per" -ge 1 ] || per=1

failed=()
for n in "${runnable[@]}"; do
  corpus=build-fuzz/corpus/$n artifacts=build-fuzz/artifacts/$n log=build-fuzz/logs/$n.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  t0=$(date +%s)
  # -timeout: one input may take at most 10 s; -rss_limit_mb: ASan's shadow memory included.
  if "build-fuzz/tests/fuzz/fuzz_$n" -max_total_time="$per" -timeout=10 -rss_limit_mb=4096 \
       -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "tests/fuzz/$n" \
       >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "[fuzz] $n: ok, ${runs:-?} runs in $(( $(date +%s) - t0 ))s"
  else
    failed+=("$n")
    echo "[fuzz] $n: FAILED after $(( $(date +%s) - t0 ))s; last lines of $log:"
    tail -n 40 "$log" | sed 's/^/    /'
    for crash in "$artifacts"/*; do
      [ -e "$crash" ] || continue
      echo "[fuzz]   reproduce: build-fuzz/tests/fuzz/fuzz_$n $crash"
    done
  fi
done

echo "[fuzz] done in $(( $(date +%s) - start ))s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "[fuzz] FAILED: ${failed[*]}" >&2
  exit 1
fi
