#!/usr/bin/env bash
# Builds the Python package `mbi` and installs it for the system Python (its site-packages,
# /usr/local/lib/python3.X/dist-packages on Debian), so that `python3 -c "import mbi"` works
# from anywhere. Idempotent; uses sudo when not root. Only Debian's packages are needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset default
cmake --build --preset default -j "$(nproc)" --target mbi_python
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO cmake --install build --component python
PYTHON=$(cat build/python/interpreter 2>/dev/null || echo python3)
cd / && "$PYTHON" -c "import mbi; print('mbi', mbi.__version__, 'installed at', mbi.__file__)"
