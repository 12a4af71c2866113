#!/usr/bin/env bash
# Installs the Debian 12 packages canveg builds with (see README "Dependencies").
set -euo pipefail
packages=(build-essential cmake nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
          libtomlplusplus-dev googletest libgtest-dev libbenchmark-dev zlib1g-dev python3-matplotlib
          pkg-config libnetcdf-dev netcdf-bin python3-xarray python3-netcdf4 clang libclang-rt-14-dev
          openmpi-bin libopenmpi-dev libarmadillo-dev chromium libxsimd-dev
          pybind11-dev ninja-build python3-dev python3-venv python3-pip python3-numpy python3-pandas python3-pytest)
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# PyTorch for the tests of the Python module's gradient bridge (canveg.autodiff), installed without
# the video and GUI libraries Debian recommends with it.
dpkg -s python3-torch >/dev/null 2>&1 || missing_lean=(python3-torch)
if [ ${#missing[@]} -gt 0 ] || [ -n "${missing_lean:-}" ]; then
  $sudo_cmd apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
if [ -n "${missing_lean:-}" ]; then
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing_lean[@]}"
fi
