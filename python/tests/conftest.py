"""Shared fixtures: the shared data folder, the canveg command and a few days of US-Bi1 forcing."""
import os
import subprocess

import pandas as pd
import pytest

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("CANVEG_DATA", os.path.normpath(os.path.join(REPO, "..", "shared", "data")))
SITE = os.path.join(DATA, "fluxtower", "US-Bi1")
MODELS = os.path.join(DATA, "jax-canveg-trained")

# Three days of half-hours: long enough for a diurnal cycle, short enough to run in well under a second.
ROWS = 144


def model_path(name: str) -> str:
    return os.path.join(MODELS, name)


@pytest.fixture(scope="session")
def cli() -> str:
    """The canveg command built from the same sources (CANVEG_BIN, else build/canveg)."""
    path = os.environ.get("CANVEG_BIN", os.path.join(REPO, "build", "canveg"))
    assert os.access(path, os.X_OK), f"the canveg command is needed for the comparisons: build it ({path})"
    return path


def run_cli(cli: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([cli, *args], capture_output=True, text=True)


@pytest.fixture(scope="session")
def small_files(tmp_path_factory):
    """(forcing CSV, fluxes CSV): the first ROWS lines of US-Bi1's test period, as the files hold them."""
    folder = tmp_path_factory.mktemp("us-bi1")
    out = []
    for name in ("US-Bi1-forcings-test.csv", "US-Bi1-fluxes-test.csv"):
        with open(os.path.join(SITE, name)) as f:
            lines = [next(f) for _ in range(ROWS + 1)]
        path = folder / name.replace("-test", "-3days")
        path.write_text("".join(lines))
        out.append(str(path))
    return tuple(out)


def read_cli_output(path: str) -> pd.DataFrame:
    """The command's output CSV, numbers read to the same doubles it wrote (shortest round trip)."""
    return pd.read_csv(path, float_precision="round_trip")
