#!/usr/bin/env bash
# The library dependency check (cmake/library_dependencies.cmake): it passes on the source
# tree, and refuses, naming file and include, a standard-library-only header that includes a
# third-party header, a library reaching for one it may not use, and a header outside every
# library folder.
set -euo pipefail
root=$1
check="$root/cmake/library_dependencies.cmake"
cmake -DMBI_ROOT="$root" -P "$check" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect_refused() {  # <what the message must say> <file> <contents>
  local want=$1 file=$2 contents=$3
  rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/$(dirname "$file")"
  printf '%s\n' "$contents" >"$tmp/tree/$file"
  if out=$(cmake -DMBI_ROOT="$tmp/tree" -P "$check" 2>&1); then
    echo "FAIL: accepted $file ($contents)"; exit 1
  fi
  grep -qF "$want" <<<"$out" || { echo "FAIL: message lacks '$want':"; echo "$out"; exit 1; }
}
expect_refused "search/kmeans_tree.hpp: includes <nlohmann/json.hpp>" include/mbi/search/kmeans_tree.hpp '#include <nlohmann/json.hpp>'
expect_refused "lookup/engine.cpp: includes <torch/torch.h>" src/lookup/engine.cpp '#include <torch/torch.h>'
expect_refused "includes mbi/train/, which library lookup may not use" src/lookup/x.cpp '#include "mbi/train/distill.hpp"'
expect_refused "includes mbi/hw/, which library search may not use" include/mbi/search/x.hpp '#include "mbi/hw/energy.hpp"'
expect_refused "includes <unistd.h>, which library core may not use" include/mbi/core/x.hpp '#include <unistd.h>'
expect_refused "a header outside every library folder" include/mbi/stray.hpp '#include <vector>'
# What is allowed passes: POSIX in a source file of a standard-library-only library,
# Eigen in the BO library.
rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/src/lookup" "$tmp/tree/include/mbi/bo"
printf '#include <sys/mman.h>\n#include <vector>\n#include "mbi/search/index.hpp"\n' >"$tmp/tree/src/lookup/ok.cpp"
printf '#include <Eigen/Dense>\n' >"$tmp/tree/include/mbi/bo/ok.hpp"
cmake -DMBI_ROOT="$tmp/tree" -P "$check" >/dev/null
echo "library dependency check: all cases as expected"
