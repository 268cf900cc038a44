#!/usr/bin/env bash
# Installs what mbi needs, builds it, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset default
cmake --build --preset default -j "$(nproc)"
ctest --preset default -j "$(nproc)" --timeout 900
# The Python package's tests (pytest), against the command line built above.
# The system Python (Debian's numpy and pytest), not whatever python3 comes first on the PATH.
PYTHON=$(cat build/python/interpreter 2>/dev/null || echo python3)
PYTHONPATH=build/python MBI_CLI=build/mbi "$PYTHON" -m pytest -q -p no:cacheprovider tests/python
