#!/usr/bin/env bash
# The default example: JAX-CanVeg's trained US-Bi1 Hybrid-ML-0.5 model over the US-Bi1 test
# period (2020-07 .. 2021-12, 26,304 half-hours), evaluated against the tower observations.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${CANVEG_SHARED_DATA:-../shared/data}
mkdir -p out
./build/canveg run \
  --model "$data/jax-canveg-trained/US-Bi1_Hybrid-ML-0.5.json" \
  --forcing "$data/fluxtower/US-Bi1/US-Bi1-forcings-test.csv" \
  --observed "$data/fluxtower/US-Bi1/US-Bi1-fluxes-test.csv" \
  --output out/US-Bi1_Hybrid-ML-0.5_test.csv
