#!/usr/bin/env python3
"""Reproduces a published JAX-CanVeg result from Python.

Loads the trained model US-Bi1_PB-1L-0.5, runs it over the site's test period, prints the test NSE
of LE and NEE against the observed fluxes next to the value JAX-CanVeg reported (stored in the
model file), and plots the mean diurnal cycle of the predicted and observed fluxes.

    python examples/python/reproduce_nse.py [--data ../shared/data] [--plot diurnal.png]

Needs the module (pip install .) and matplotlib.
"""
from __future__ import annotations

import argparse
import os

import pandas as pd

import canveg

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data"))


def reproduce(data: str = DEFAULT_DATA, threads: int = 0):
    """(model, predicted fluxes, observed fluxes, metrics DataFrame) for US-Bi1 PB-1L-0.5's test period."""
    model = canveg.load_model(os.path.join(data, "jax-canveg-trained", "US-Bi1_PB-1L-0.5.json"))
    site = os.path.join(data, "fluxtower", "US-Bi1")
    forcing = canveg.read_forcing(os.path.join(site, "US-Bi1-forcings-test.csv"))
    predicted = model.run(forcing, threads=threads)
    observed_path = os.path.join(site, "US-Bi1-fluxes-test.csv")
    metrics = canveg.evaluate(predicted, observed_path)
    return model, predicted, canveg.read_observed(observed_path), metrics


def plot_diurnal(predicted, observed, path: str) -> None:
    """Mean diurnal cycle of LE and NEE, predicted and observed, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # The half-hour a row describes ends at its time stamp: group by its start.
    start = predicted.index - pd.Timedelta(minutes=30)
    hour = start.hour + start.minute / 60.0
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, flux in zip(axes, ("LE", "NEE")):
        unit = canveg.OUTPUT_UNITS[flux]
        ax.plot(*_mean_by(hour, observed[flux].to_numpy()), "k.-", label="observed")
        ax.plot(*_mean_by(hour, predicted[flux].to_numpy()), "C0-", label="canveg (PB-1L-0.5)")
        ax.set_xlabel("hour of day (start of the half-hour, local standard time)")
        ax.set_ylabel(f"{flux} [{unit}]")
        ax.set_xticks(range(0, 25, 6))
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle("US-Bi1 test period: mean diurnal cycle")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _mean_by(hour, values):
    means = pd.Series(values).groupby(hour.to_numpy()).mean()
    return means.index.to_numpy(), means.to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="the shared data folder (default: %(default)s)")
    parser.add_argument("--plot", default="us-bi1-diurnal.png", help="PNG of the mean diurnal cycle")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()

    model, predicted, observed, metrics = reproduce(args.data, args.threads)
    reported = model.reported or {}
    print(f"{model.site_name}: {len(predicted)} half-hours in {predicted.attrs['seconds']:.1f} s, "
          f"formulation {predicted.attrs['formulation']}")
    print(f"{'flux':<5}{'test NSE':>10}{'reported':>10}{'diff':>11}")
    for flux in ("LE", "NEE"):
        nse = metrics.loc[flux, "NSE"]
        ref = reported.get(f"{flux}_test_NSE", float("nan"))
        print(f"{flux:<5}{nse:>10.4f}{ref:>10.4f}{nse - ref:>11.2e}")
    plot_diurnal(predicted, observed, args.plot)
    print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
