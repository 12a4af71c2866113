#!/usr/bin/python3
"""Pareto plot of an LE/NEE weight sweep: test NSE of LE against test NSE of NEE, one curve per
site and family (points ordered by the LE weight w), beside the models JAX-CanVeg published for
w = 0.0, 0.5 and 1.0 (their reported test NSE, read from the shared model files).

    scripts/plot_sweep.py <output-dir>/sweep.csv --data ../shared/data --output pareto.png

Needs matplotlib (Debian: python3-matplotlib, installed by scripts/install-deps.sh).
"""
import argparse
import csv
import json
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def read_sweep(path):
    curves = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["site"], row["family"], row["seed"])
            curves[key].append((float(row["le_weight"]), float(row["test_nse_le"]), float(row["test_nse_nee"])))
    for points in curves.values():
        points.sort()
    return curves


def published_points(data_dir, site, family):
    points = []
    for w in ("0.0", "0.5", "1.0"):
        # JAX-CanVeg's DNN baselines are named <SITE>_DNN_LE-GPP-<w>.json.
        stem = "DNN_LE-GPP" if family == "DNN" else family
        path = os.path.join(data_dir, "jax-canveg-trained", f"{site}_{stem}-{w}.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            metrics = json.load(f).get("metrics") or {}
        if "LE-test" in metrics and "NEE-test" in metrics:
            points.append((float(w), metrics["LE-test"]["nse"], metrics["NEE-test"]["nse"]))
    return points


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("table", help="sweep.csv written by canveg sweep")
    parser.add_argument("--data", help="shared data folder, for JAX-CanVeg's published points")
    parser.add_argument("--output", required=True, help="image file (PNG, PDF or SVG)")
    args = parser.parse_args()
    if not os.path.exists(args.table):
        sys.exit(f"plot_sweep: error: {args.table}: no such file")
    curves = read_sweep(args.table)
    if not curves:
        sys.exit(f"plot_sweep: error: {args.table}: no rows")

    fig, ax = plt.subplots(figsize=(6.5, 5.0))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, ((site, family, seed), points) in enumerate(sorted(curves.items())):
        colour = colours[i % len(colours)]
        label = f"{site} {family}" + (f" seed {seed}" if seed != "0" else "")
        ax.plot([p[1] for p in points], [p[2] for p in points], "o-", color=colour, label=f"canveg {label}")
        for w, x, y in (points[0], points[-1]):
            ax.annotate(f"w={w:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7, color=colour)
        if args.data and seed == "0":
            published = published_points(args.data, site, family)
            if published:
                ax.plot([p[1] for p in published], [p[2] for p in published], "s--", mfc="none", color=colour,
                        label=f"JAX-CanVeg {site} {family}")
    ax.set_xlabel("test NSE of LE")
    ax.set_ylabel("test NSE of NEE")
    ax.set_title("LE/NEE weight sweep: test-period Nash-Sutcliffe efficiency")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.output, dpi=150)
    print(f"plot_sweep: wrote {args.output}")


if __name__ == "__main__":
    main()
