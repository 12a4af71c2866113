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
# Every flux scored, beside the empirical benchmarks fitted on the other three sites, as one HTML page.
./build/canveg evaluate \
  --predicted out/US-Bi1_Hybrid-ML-0.5_test.csv \
  --observed "$data/fluxtower/US-Bi1/US-Bi1-fluxes-test.csv" \
  --forcing "$data/fluxtower/US-Bi1/US-Bi1-forcings-test.csv" \
  --site-name US-Bi1 --benchmark-data "$data" \
  --report out/US-Bi1_Hybrid-ML-0.5_report.html > out/US-Bi1_Hybrid-ML-0.5_scores.txt
echo "canveg: the scores are in out/US-Bi1_Hybrid-ML-0.5_scores.txt; open out/US-Bi1_Hybrid-ML-0.5_report.html in a browser"
