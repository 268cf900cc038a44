#!/usr/bin/env bash
# Installs everything mbi needs from Debian's packages. Idempotent: safe to run again.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libopenblas0-openmp libopenblas-dev
  libeigen3-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libfaiss-dev libomp-dev libhnswlib-dev
  gnuplot-nox
  python3-dev pybind11-dev python3-numpy python3-pytest python3-matplotlib
  libgloo-dev
  openmpi-bin libopenmpi-dev
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
