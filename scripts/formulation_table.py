#!/usr/bin/env python3
"""The jax and corrected formulations on the four sites' test periods (docs/formulation.md).

    scripts/formulation_table.py [--data ../shared/data] [--canveg build/canveg] [--out out/formulation]
                                 [--trained PB-1L-0.5] [--threads 2]

For every site, runs `canveg run` with the site file (default parameters) and with a trained
JAX-CanVeg model, each in both formulations, and prints a Markdown table of the net-radiation bias
against the tower's NETRAD (for canveg's Rnet and Rnet_top: mean of model - observed over the
half-hours where NETRAD is present) and the LE and NEE NSE that `canveg run --observed` prints.

    scripts/formulation_table.py --convergence

instead compares each formulation's sweep count with twice as many sweeps (site files and trained
models): the largest change of Rnet, Rnet_top, LE, H, NEE and GPP over the test period, relative to
the largest magnitude of that output.
"""
import argparse
import csv
import os
import re
import subprocess
import sys

SITES = ["US-Bi1", "US-Hn1", "US-Me2", "US-Whs"]


def flux_file(data, site):
    # JAX-CanVeg trained and tested US-Hn1 on its file without negative LE.
    name = f"{site}-fluxes-nonegle-test.csv" if site == "US-Hn1" else f"{site}-fluxes-test.csv"
    return os.path.join(data, "fluxtower", site, name)


def read_columns(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {name: [row[i] for row in body] for i, name in enumerate(header)}


def run(args, source, site, extra, output):
    forcing = os.path.join(args.data, "fluxtower", site, f"{site}-forcings-test.csv")
    cmd = [args.canveg, "run", *source, "--forcing", forcing, "--observed", flux_file(args.data, site),
           "--output", output, "--threads", str(args.threads), *extra]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    nse = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^(LE|NEE)\s+\S+\s+\d+\s+(\S+)", line)
        if m:
            nse[m.group(1)] = float(m.group(2))
    summary = [l for l in p.stderr.splitlines() if "formulation" in l and "wrote" in l]
    return nse, (summary[0] if summary else ""), " ".join(cmd)


def rnet_bias(output, observed):
    model = read_columns(output)
    obs = read_columns(observed)["NETRAD"]
    out = {}
    for col in ("Rnet", "Rnet_top"):
        diffs = [float(m) - float(o) for m, o in zip(model[col], obs) if o.strip() not in ("", "NA", "nan")]
        out[col] = sum(diffs) / len(diffs)
    out["n"] = len(diffs)
    return out


def sources(args, site):
    yield "site file", ["--site", os.path.join(args.sites, f"{site}.toml")], 50
    yield f"{args.trained}", ["--model", os.path.join(args.data, "jax-canveg-trained", f"{site}_{args.trained}.json")], (
        1 if "1L" in args.trained else 50)


def table(args):
    print("| site | parameters | formulation | Rnet bias | Rnet_top bias | LE NSE | NEE NSE |")
    print("|---|---|---|---:|---:|---:|---:|")
    commands = []
    for site in SITES:
        for label, source, _ in sources(args, site):
            for formulation in ("jax", "corrected"):
                out = os.path.join(args.out, f"{site}_{label.replace(' ', '-')}_{formulation}.csv")
                nse, summary, cmd = run(args, source, site, ["--formulation", formulation], out)
                bias = rnet_bias(out, flux_file(args.data, site))
                commands.append(cmd)
                print(f"| {site} | {label} | {formulation} | {bias['Rnet']:+.2f} | {bias['Rnet_top']:+.2f} | "
                      f"{nse['LE']:.4f} | {nse['NEE']:.4f} |", flush=True)
    print("\nCommands:\n")
    for c in commands:
        print("    " + c)


def largest_changes(a, b):
    ca, cb = read_columns(a), read_columns(b)
    out = []
    for col in ("Rnet", "Rnet_top", "LE", "H", "NEE", "GPP"):
        x = [float(v) for v in ca[col]]
        y = [float(v) for v in cb[col]]
        scale = max(abs(v) for v in y)
        out.append(max(abs(p - q) for p, q in zip(x, y)) / scale)
    return out


def convergence(args):
    print("| site | parameters | sweeps | vs sweeps | Rnet | Rnet_top | LE | H | NEE | GPP |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for site in SITES:
        for label, source, layers in sources(args, site):
            n = 10 * (layers + 1)
            a = os.path.join(args.out, f"conv_{site}_{label.replace(' ', '-')}_{n}.csv")
            b = os.path.join(args.out, f"conv_{site}_{label.replace(' ', '-')}_{2 * n}.csv")
            run(args, source, site, ["--formulation", "corrected"], a)
            run(args, source, site, ["--formulation", "corrected", "--shortwave-sweeps", str(2 * n)], b)
            changes = largest_changes(a, b)
            print(f"| {site} | {label} | {n} | {2 * n} | " + " | ".join(f"{c:.1e}" for c in changes) + " |", flush=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data"))
    ap.add_argument("--sites", default=os.path.join(here, "..", "examples", "sites"))
    ap.add_argument("--canveg", default=os.path.join(here, "..", "build", "canveg"))
    ap.add_argument("--out", default=os.path.join(here, "..", "out", "formulation"))
    ap.add_argument("--trained", default="PB-1L-0.5", help="trained model family, e.g. PB-1L-0.5 or Hybrid-ML-0.5")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--convergence", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    convergence(args) if args.convergence else table(args)


if __name__ == "__main__":
    main()
