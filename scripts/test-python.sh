#!/usr/bin/env bash
# Tests the Python module: installs it with `pip install .` into a fresh virtual environment (numpy,
# pandas, matplotlib, pytest and PyTorch from Debian through --system-site-packages; scikit-build-core
# from PyPI for the build, and JAX from PyPI for the gradient bridge's tests) and runs python/tests,
# which compare it with ./build/canveg (build that first).
#   scripts/test-python.sh [pytest arguments]
# VENV=<folder> keeps the environment somewhere else (default: build-python-venv/, recreated).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(realpath -m "${VENV:-build-python-venv}")"
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
# Compile with every core; the build folder is pip's temporary one, so a clean clone builds from scratch.
CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$venv/bin/pip" install --quiet --disable-pip-version-check .
# JAX for canveg.autodiff's tests (an optional dependency of the module; Debian has none), held to
# Debian's numpy so that Debian's pandas and matplotlib keep working in the environment.
numpy_version="$("$venv/bin/python" -c 'import numpy; print(numpy.__version__)')"
"$venv/bin/pip" install --quiet --disable-pip-version-check "jax[cpu]" "numpy==$numpy_version"
# From outside the checkout, so that the installed package is imported, not python/canveg.
cd python/tests
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" .
