#!/usr/bin/python3
"""The HTML report of `canveg evaluate --report`: one self-contained page with the metrics tables
(units included), a verdict per flux against the empirical benchmarks, the run's inputs and
settings, and for every scored flux its plots (daily-mean time series, scatter against the
observations with the 1:1 line, Taylor diagram, mean diurnal cycle per season), embedded as PNG.

Usage: evaluation_report.py <folder written by canveg evaluate> <report.html>
The folder holds series.csv (TIMESTAMP_END, obs_<flux>, <model>_<flux>), scores.csv (the --scores
table) and meta.json (inputs, settings, verdict lines).
"""
import base64
import html
import io
import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

COLOURS = {"obs": "black", "canveg": "tab:red", "1lin": "tab:blue", "2lin": "tab:cyan", "3km27": "tab:green"}
SEASONS = {"DJF": (12, 1, 2), "MAM": (3, 4, 5), "JJA": (6, 7, 8), "SON": (9, 10, 11)}


def png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def taylor(ax, obs, models, series):
    """Taylor (2001) diagram on a quarter circle: radius = SD ratio, angle = arccos(r)."""
    ok = np.isfinite(obs)
    ax.set_thetamin(0)
    ax.set_thetamax(90)
    ax.set_rlim(0, 2.0)
    ax.plot([0], [1], "k*", markersize=10, label="observed")
    for model in models:
        pred = series[model]
        use = ok & np.isfinite(pred)
        if use.sum() < 3 or np.std(obs[use]) == 0 or np.std(pred[use]) == 0:
            continue
        r = np.corrcoef(obs[use], pred[use])[0, 1]
        ratio = np.std(pred[use]) / np.std(obs[use])
        ax.plot(np.arccos(np.clip(r, 0, 1)), min(ratio, 2.0), "o", color=COLOURS.get(model, "grey"), label=model)
    ticks = np.array([0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99, 1.0])
    ax.set_xticks(np.arccos(ticks))
    ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=7)
    ax.set_title("Taylor diagram (angle: r, radius: SD ratio)", fontsize=9)
    ax.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1.35, 1.1))


def flux_figures(data, flux, unit, models):
    obs = data[f"obs_{flux}"].to_numpy(dtype=float)
    series = {m: data[f"{m}_{flux}"].to_numpy(dtype=float) for m in models}
    figs = []
    fig = plt.figure(figsize=(13, 3.6))
    ax = fig.add_subplot(1, 3, 1)
    daily = data.set_index("time")[[f"obs_{flux}"] + [f"{m}_{flux}" for m in models]].resample("D").mean()
    ax.plot(daily.index, daily[f"obs_{flux}"], color="black", lw=1, label="observed")
    for m in models:
        ax.plot(daily.index, daily[f"{m}_{flux}"], color=COLOURS.get(m, "grey"), lw=0.8, label=m)
    ax.set_title(f"{flux}: daily means [{unit}]", fontsize=9)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    ax = fig.add_subplot(1, 3, 2)
    use = np.isfinite(obs) & np.isfinite(series["canveg"])
    ax.scatter(obs[use], series["canveg"][use], s=2, alpha=0.3, color=COLOURS["canveg"])
    if use.any():
        lo, hi = np.nanpercentile(np.concatenate([obs[use], series["canveg"][use]]), [0.5, 99.5])
        ax.plot([lo, hi], [lo, hi], "k-", lw=1, label="1:1")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    ax.set_xlabel(f"observed [{unit}]", fontsize=8)
    ax.set_ylabel(f"canveg [{unit}]", fontsize=8)
    ax.set_title(f"{flux}: half-hours, with the 1:1 line", fontsize=9)
    ax.tick_params(labelsize=7)
    taylor(fig.add_subplot(1, 3, 3, projection="polar"), obs, models, series)
    figs.append(png(fig))

    fig, axes = plt.subplots(1, 4, figsize=(13, 3.0), sharey=True)
    hour = data["time"].dt.hour + data["time"].dt.minute / 60.0
    for ax, (season, months) in zip(axes, SEASONS.items()):
        rows = data["time"].dt.month.isin(months).to_numpy()
        if not rows.any():
            ax.set_title(f"{season}: no data", fontsize=9)
            continue
        frame = pd.DataFrame({"hour": hour[rows], "obs": obs[rows], **{m: series[m][rows] for m in models}})
        cycle = frame.groupby("hour").mean()
        ax.plot(cycle.index, cycle["obs"], color="black", lw=1.5, label="observed")
        for m in models:
            ax.plot(cycle.index, cycle[m], color=COLOURS.get(m, "grey"), lw=1, label=m)
        ax.set_title(f"{flux} mean diurnal cycle, {season}", fontsize=9)
        ax.set_xlabel("hour (end of half-hour, local standard time)", fontsize=7)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel(unit, fontsize=8)
    axes[0].legend(fontsize=7)
    figs.append(png(fig))
    return figs


def table(frame):
    return frame.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep="nan", border=0, classes="scores")


def main(folder, report):
    data = pd.read_csv(f"{folder}/series.csv")
    data["time"] = pd.to_datetime(data["TIMESTAMP_END"])
    scores = pd.read_csv(f"{folder}/scores.csv")
    with open(f"{folder}/meta.json") as f:
        meta = json.load(f)
    models = [m for m in ["canveg", "1lin", "2lin", "3km27"] if any(c.startswith(m + "_") for c in data.columns)]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>canveg evaluation</title><style>",
        "body{font-family:sans-serif;margin:2em;max-width:1400px} table.scores{border-collapse:collapse;font-size:12px}",
        "table.scores td,table.scores th{border:1px solid #bbb;padding:2px 6px;text-align:right}",
        "h2{margin-top:2em} .verdict{font-weight:bold}</style></head><body>",
        "<h1>canveg evaluation</h1>",
        "<h2>Run</h2><table class='scores' id='inputs'>",
    ]
    for key, value in meta["inputs"].items():
        parts.append(f"<tr><th>{html.escape(key)}</th><td style='text-align:left'>{html.escape(str(value))}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>Verdict against the empirical benchmarks</h2><ul>")
    for line in meta.get("verdicts", []) or ["no benchmarks (give --site-name and --forcing)"]:
        parts.append(f"<li class='verdict'>{html.escape(line)}</li>")
    parts.append("</ul><p>Judged by the normalised mean error NME = &Sigma;|p &minus; o| / &Sigma;|o &minus; &omacr;| "
                 "over the whole record (PLUMBER, Best et al. 2015). KGE marked unreliable where the observed mean "
                 "lies within 0.25 standard deviations of zero.</p>")
    parts.append("<h2>Metrics (RMSE, MAE and bias in the flux's unit)</h2>")
    shown = scores[(scores["model"] == "canveg") | (scores["period"] == "all")]
    parts.append(table(shown))
    for flux, unit in scores[["flux", "unit"]].drop_duplicates().itertuples(index=False):
        if f"obs_{flux}" not in data or f"canveg_{flux}" not in data:
            continue
        present = [m for m in models if f"{m}_{flux}" in data]
        parts.append(f"<h2>{html.escape(flux)} [{html.escape(unit)}]</h2>")
        for image in flux_figures(data, flux, unit, present):
            parts.append(f"<img src='{image}' alt='{html.escape(flux)} plots' style='max-width:100%'>")
    parts.append("</body></html>")
    with open(report, "w") as f:
        f.write("\n".join(parts))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
