#!/usr/bin/env python3
"""Which fluxes of JAX-CanVeg's published w = 0.5 models beat PLUMBER's empirical benchmarks
(docs/evaluation.md, "Every w = 0.5 model against the benchmarks").

    scripts/evaluation_table.py [--data ../shared/data] [--canveg build/canveg] [--out out/evaluation]
                                [--weight 0.5] [--families PB-1L,PB-ML,Hybrid-1L,Hybrid-ML]
                                [--sites US-Bi1,US-Hn1,US-Me2,US-Whs] [--formulation jax|corrected]

For every site and family, runs the trained model over the site's test period (`canveg run`), scores
it with `canveg evaluate --site-name <site> --scores` (benchmarks fitted on the other sites) and
prints a Markdown table: per flux the model's NME over the whole period and the benchmarks whose
NME it beats (lower is better; PLUMBER's verdict). The runs use the model file's formulation
(JAX-CanVeg's) unless --formulation says otherwise. Runs and score files are kept in --out, and a
model whose scores exist is not run again.
"""
import argparse
import csv
import os
import subprocess
import sys

SITES = ["US-Bi1", "US-Hn1", "US-Me2", "US-Whs"]
FLUXES = ["LE", "H", "NEE", "Rnet", "G"]
BENCHMARKS = ["1lin", "2lin", "3km27"]


def flux_file(data, site):
    # JAX-CanVeg tested US-Hn1 on its file without negative LE; the shared data hold no other test file.
    name = f"{site}-fluxes-nonegle-test.csv" if site == "US-Hn1" else f"{site}-fluxes-test.csv"
    return os.path.join(data, "fluxtower", site, name)


def scores_of(args, site, family):
    model = f"{site}_{family}-{args.weight}"
    tag = model + (f"_{args.formulation}" if args.formulation else "")
    scores = os.path.join(args.out, f"{tag}_scores.csv")
    if os.path.exists(scores):
        return scores
    forcing = os.path.join(args.data, "fluxtower", site, f"{site}-forcings-test.csv")
    predicted = os.path.join(args.out, f"{tag}_test.csv")
    formulation = ["--formulation", args.formulation] if args.formulation else []
    subprocess.run([args.canveg, "run", "--quiet", "--model",
                    os.path.join(args.data, "jax-canveg-trained", f"{model}.json"),
                    "--forcing", forcing, "--output", predicted, *formulation], check=True)
    subprocess.run([args.canveg, "evaluate", "--predicted", predicted, "--observed", flux_file(args.data, site),
                    "--forcing", forcing, "--site-name", site, "--benchmark-data", args.data,
                    "--scores", scores + ".partial"], check=True, stdout=subprocess.DEVNULL)
    os.replace(scores + ".partial", scores)
    return scores


def whole_period_nme(path):
    """{(model, flux): NME} over the whole record."""
    with open(path, newline="") as f:
        return {(row["model"], row["flux"]): float(row["nme"]) for row in csv.DictReader(f)
                if row["period"] == "all"}


def cell(nme, flux):
    if ("canveg", flux) not in nme:
        return "–"
    own = nme[("canveg", flux)]
    present = [b for b in BENCHMARKS if (b, flux) in nme]
    if not present:
        return f"{own:.3f}, no benchmark"
    beaten = [b for b in present if own < nme[(b, flux)]]
    verdict = "all three" if len(beaten) == len(BENCHMARKS) else (" ".join(beaten) if beaten else "none")
    return f"{own:.3f}: {verdict}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--canveg", default="build/canveg")
    parser.add_argument("--out", default="out/evaluation")
    parser.add_argument("--weight", default="0.5")
    parser.add_argument("--families", default="PB-1L,PB-ML,Hybrid-1L,Hybrid-ML")
    parser.add_argument("--sites", default=",".join(SITES))
    parser.add_argument("--formulation", choices=["jax", "corrected"])
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    print("| site | family | " + " | ".join(f"{f} NME: beats" for f in FLUXES) + " |")
    print("|---|---|" + "---|" * len(FLUXES))
    for site in args.sites.split(","):
        for family in args.families.split(","):
            nme = whole_period_nme(scores_of(args, site, family))
            print(f"| {site} | {family} | " + " | ".join(cell(nme, f) for f in FLUXES) + " |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
