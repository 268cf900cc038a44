#!/usr/bin/env bash
# The whole test suite, the command line's bad-input tests included, built with
# AddressSanitizer and UndefinedBehaviorSanitizer (GCC, the `sanitize` preset, build-sanitize/).
# Any sanitizer report fails the run: UBSan halts on its first finding, ASan on any error, and
# the bad-input script fails a case whose output holds a report.
#
#   bash scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize -j "$(nproc)"
# Leaks: LibTorch, OpenMP and OpenBLAS keep per-thread pools to the end of the process; their
# allocations are suppressed (scripts/lsan.supp), ours are reported.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --preset sanitize -j "$(nproc)" --timeout 3600
