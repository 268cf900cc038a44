#!/usr/bin/env bash
# Fuzzes every parser of files mbi reads with libFuzzer, under AddressSanitizer and
# UndefinedBehaviorSanitizer: IDX images and labels (plain and gzip), table files, model
# files, the JSON configs (hardware parameters, energy tables) and ternary network files.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     targets: idx table model config tnet
#
# Installs Clang and its fuzzer runtime from Debian's packages if missing, builds the `fuzz`
# preset in build-fuzz/, starts each target from the seed corpus in fuzz/corpus/<target>
# (grown in build-fuzz/corpus/<target>), and prints executions and crashes per target.
# Exits non-zero when a target crashed; the crashing input is left in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(idx table model config tnet)

bash scripts/setup.sh
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target $(printf 'mbi_fuzz_%s ' "${targets[@]}")

status=0
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  log=build-fuzz/fuzz-$t.log
  set +e
  (cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 ./fuzz/mbi_fuzz_$t -max_total_time="$seconds" -print_final_stats=1 \
     -rss_limit_mb=2048 -timeout=10 "corpus/$t" "../fuzz/corpus/$t") >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  crashes=$( (ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* build-fuzz/oom-* 2>/dev/null || true) | wc -l)
  echo "fuzz $t: ${execs:-0} executions in ${seconds} s, exit $rc, crash files so far: $crashes (log: $log)"
  [ "$rc" -ne 0 ] && status=1
done
exit $status
