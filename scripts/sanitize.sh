#!/usr/bin/env bash
# Sanitizer builds and test runs (CMakePresets.json):
#   scripts/sanitize.sh asan   ASan + UBSan, every test (CROSSENC_QUICK=1 caps the big golden
#                              files), into build-asan/
#   scripts/sanitize.sh tsan   ThreadSanitizer, the threaded tests only (batcher, service,
#                              server, the HTTP front end and its attack tests,
#                              engine/tokenizer concurrency), into build-tsan/
# Both build without Vulkan (lavapipe under a sanitizer is slow and the loader is not
# instrumented). Extra arguments go to ctest, e.g. scripts/sanitize.sh asan -R Engine
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-}
case "$kind" in
  asan | tsan) shift ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan [ctest arguments]" >&2
    exit 2
    ;;
esac

# The same options the test presets use, also for the test discovery that runs at build time.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/tsan.supp"
export CROSSENC_QUICK=1
export CROSSENC_REQUIRE_VULKAN=0  # built without Vulkan on purpose: its tests skip, not fail
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

start=$(date +%s)
launcher=()
# Paths relative to the checkout, so a fresh clone elsewhere reuses the compiler cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
command -v ccache >/dev/null &&
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake --preset "$kind" "${launcher[@]}" >/dev/null

# Only what the tests run: the test programs and the CLI they start (no benchmarks).
tests=()
for src in tests/*_test.cc; do tests+=("$(basename "$src" .cc)"); done
if [ "$kind" = tsan ]; then
  tests=(service_test server_test http_front_end_test http_attack_test engine_test tokenizer_test
    fault_matrix_test)
fi
targets=(crossenc_cli)
for t in "${tests[@]}"; do
  # server_test and the http_* tests exist only when the server is built.
  case "$t" in server_test | http_*) grep -q "$t" "build-$kind/build.ninja" || continue ;; esac
  targets+=("$t")
done
cmake --build "build-$kind" -j "$(nproc)" --target "${targets[@]}"
built=$(date +%s)
echo "[sanitize:$kind] built in $(( built - start ))s"

status=0
ctest --preset "$kind" -j "$(nproc)" "$@" || status=$?
echo "[sanitize:$kind] tests in $(( $(date +%s) - built ))s, total $(( $(date +%s) - start ))s"
exit "$status"
