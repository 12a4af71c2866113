"""The Python module against the canveg command and against itself."""
import json
import os
import re
import sys

import numpy as np
import pandas as pd
import pytest

import canveg
from conftest import DATA, REPO, ROWS, SITE, model_path, read_cli_output, run_cli

PB_1L = model_path("US-Bi1_PB-1L-0.5.json")
HYBRID_ML = model_path("US-Bi1_Hybrid-ML-0.5.json")


def cli_error(result) -> str:
    """The message the command printed after "canveg: error: "."""
    assert result.returncode == 1, result.stderr
    match = re.search(r"canveg: error: (.*)", result.stderr, re.S)
    assert match, result.stderr
    return match.group(1).strip()


def assert_same_outputs(frame: pd.DataFrame, cli_csv: str) -> None:
    expected = read_cli_output(cli_csv)
    assert list(frame.columns) == list(expected.columns[1:])
    assert list(frame.index.strftime("%Y-%m-%d %H:%M:%S")) == list(expected["TIMESTAMP_END"])
    for column in frame.columns:
        # Bit for bit: the same doubles, NaN where the command wrote NaN.
        np.testing.assert_array_equal(frame[column].to_numpy(), expected[column].to_numpy(), err_msg=column)


@pytest.mark.parametrize("model_file, args", [(PB_1L, ()), (HYBRID_ML, ("--formulation", "corrected"))])
def test_run_equals_the_command_bit_for_bit(cli, small_files, tmp_path, model_file, args):
    forcing_csv, _ = small_files
    out = tmp_path / "cli.csv"
    result = run_cli(cli, "run", "--model", model_file, "--forcing", forcing_csv, "--output", str(out), "--quiet", *args)
    assert result.returncode == 0, result.stderr
    model = canveg.load_model(model_file)
    frame = model.run(canveg.read_forcing(forcing_csv), threads=2,
                      formulation="corrected" if args else None)
    assert len(frame) == ROWS
    assert frame.index.name == "TIMESTAMP_END" and isinstance(frame.index, pd.DatetimeIndex)
    assert frame.attrs["units"]["LE"] == "W m-2" and frame.attrs["units"]["NEE"] == "umol m-2 s-1"
    assert frame.attrs["formulation"].startswith("corrected" if args else "jax")
    assert_same_outputs(frame, str(out))
    # A sanity check that the comparison compares something: daytime LE is well above zero.
    assert frame["LE"].max() > 100


def test_diagnostics_convergence_and_tolerance_equal_the_command(cli, small_files, tmp_path):
    forcing_csv, _ = small_files
    out = tmp_path / "cli.csv"
    result = run_cli(cli, "run", "--model", PB_1L, "--forcing", forcing_csv, "--output", str(out), "--quiet",
                     "--diagnostics", "--convergence", "--converge", "0.5", "--max-iterations", "40")
    assert result.returncode == 0, result.stderr
    frame = canveg.load_model(PB_1L).run(canveg.read_forcing(forcing_csv), threads=2, diagnostics=True,
                                         convergence=True, converge=0.5, max_iterations=40)
    assert_same_outputs(frame, str(out))
    assert "column_closure" in frame and "dLE_last" in frame and "implausible" in frame
    assert frame.attrs["units"]["dLE_last"] == "W m-2" and set(frame.attrs["units"]) == set(frame.columns)
    # The tolerance decides the iteration count: more than JAX-CanVeg's 15 here, at most 40.
    assert 15 < frame.attrs["iterations"] <= 40 and frame.attrs["converged"] == (frame.attrs["iterations"] < 40)
    with pytest.raises(canveg.InputError, match="max_iterations"):
        canveg.load_model(PB_1L).run(canveg.read_forcing(forcing_csv), converge=0.5, max_iterations=0)


def test_site_file_dict_of_arrays_and_independent_rows(cli, small_files, tmp_path):
    forcing_csv, _ = small_files
    site = os.path.join(REPO, "examples", "sites", "US-Bi1.toml")
    out = tmp_path / "cli.csv"
    result = run_cli(cli, "run", "--site", site, "--forcing", forcing_csv, "--output", str(out), "--quiet",
                     "--independent")
    assert result.returncode == 0, result.stderr
    forcing = canveg.read_forcing(forcing_csv)
    # A dict of arrays, the time stamps as datetimes: the same record as the file's.
    arrays = {name: forcing[name].to_numpy() for name in forcing.columns}
    arrays["TIMESTAMP_END"] = pd.to_datetime(forcing["TIMESTAMP_END"]).to_numpy()
    model = canveg.load_model(site)
    assert model.formulation.startswith("corrected")
    frame = model.run(arrays, independent=True, threads=1)
    assert_same_outputs(frame, str(out))
    coupled = model.run(forcing)
    assert not np.array_equal(coupled["G"].to_numpy(), frame["G"].to_numpy())  # the storage term matters


@pytest.mark.parametrize("break_it", ["missing TA_F", "Kelvin", "gap in TIMESTAMP_END"])
def test_bad_forcing_raises_the_commands_message(cli, small_files, tmp_path, break_it):
    forcing_csv, _ = small_files
    frame = canveg.read_forcing(forcing_csv)
    if break_it == "missing TA_F":
        frame = frame.drop(columns=["TA_F"])
    elif break_it == "Kelvin":
        frame["TA_F"] = frame["TA_F"] + 273.15
    else:
        frame = frame.drop(index=[10]).reset_index(drop=True)
    bad_csv = tmp_path / "bad.csv"
    frame.to_csv(bad_csv, index=False)
    frame.attrs["source"] = str(bad_csv)  # messages then name the file the command reads
    expected = cli_error(run_cli(cli, "run", "--model", PB_1L, "--forcing", str(bad_csv), "--output",
                                 str(tmp_path / "out.csv"), "--quiet"))
    with pytest.raises(canveg.InputError) as error:
        canveg.load_model(PB_1L).run(frame)
    assert str(error.value) == expected
    assert isinstance(error.value, ValueError)
    if break_it == "Kelvin":
        assert "K" in expected and "TA_F" in expected and ":2:" in expected


def test_radiation_hours_off_the_sun_raises_the_commands_message(cli, small_files, tmp_path):
    """Shortwave eight hours off its time stamps (UTC read as local time) is refused, as by the command."""
    forcing_csv, fluxes_csv = small_files
    frame = canveg.read_forcing(forcing_csv)
    frame["SW_IN_F"] = np.roll(frame["SW_IN_F"].to_numpy(), 16)
    shifted_csv = tmp_path / "utc.csv"
    frame.to_csv(shifted_csv, index=False)
    frame.attrs["source"] = str(shifted_csv)
    expected = cli_error(run_cli(cli, "run", "--model", PB_1L, "--forcing", str(shifted_csv), "--output",
                                 str(tmp_path / "out.csv"), "--quiet"))
    assert "8 h earlier than the time stamps say" in expected
    model = canveg.load_model(PB_1L)
    with pytest.raises(canveg.InputError) as error:
        model.run(frame)
    assert str(error.value) == expected
    with pytest.raises(canveg.InputError) as error:
        model.loss_function(frame, fluxes_csv)
    assert str(error.value) == expected


def test_humidity_in_a_unit_too_small_warns_as_the_command(cli, tmp_path):
    """A week whose air never reaches 25 % relative humidity warns (a unit 10-1000x too small)."""
    with open(os.path.join(SITE, "US-Bi1-forcings-test.csv")) as f:
        lines = [next(f) for _ in range(8 * 48 + 1)]
    week_csv = tmp_path / "week.csv"
    week_csv.write_text("".join(lines))
    frame = canveg.read_forcing(week_csv)
    frame["eair"] = frame["eair"] / 100.0
    dry_csv = tmp_path / "dry.csv"
    frame.to_csv(dry_csv, index=False)
    frame.attrs["source"] = str(dry_csv)
    result = run_cli(cli, "run", "--model", PB_1L, "--forcing", str(dry_csv), "--output", str(tmp_path / "out.csv"))
    assert result.returncode == 0, result.stderr
    warning = re.search(r"canveg: warning: (.*never reaches 25 %.*)", result.stderr)
    assert warning, result.stderr
    with pytest.warns(UserWarning) as caught:
        canveg.load_model(PB_1L).run(frame, threads=1)
    assert [str(w.message) for w in caught] == [warning.group(1)]


def test_unused_canopy_height_warns_as_the_command(cli, small_files, tmp_path):
    """A constant canopy height for a model that does not read veg_ht warns, as the command does."""
    forcing_csv, _ = small_files
    result = run_cli(cli, "run", "--model", PB_1L, "--forcing", forcing_csv, "--canopy-height", "18",
                     "--output", str(tmp_path / "out.csv"))
    assert result.returncode == 0, result.stderr
    warning = re.search(r"canveg: warning: (.*the canopy height given \(veg_ht constant 18\).*)", result.stderr)
    assert warning, result.stderr
    frame = canveg.read_forcing(forcing_csv)
    frame.attrs["source"] = str(forcing_csv)
    with pytest.warns(UserWarning) as caught:
        canveg.load_model(PB_1L).run(frame, canopy_height=18, threads=1)
    assert [str(w.message) for w in caught] == [warning.group(1)]


def test_canopy_height_column_of_another_site_warns(small_files):
    """A canopy height column far from the model's canopy warns, as the command does."""
    forcing_csv, _ = small_files
    frame = canveg.read_forcing(forcing_csv)
    frame["veg_ht"] = 18.0
    with pytest.warns(UserWarning, match=r"canopy height \(veg_ht, median 18 m\) is not that of the model's canopy "
                                         r"\(0\.8 m high, site US-Bi1\)"):
        canveg.load_model(PB_1L).run(frame, threads=1)


def test_dispersion_matrix_named_for_another_site_warns(small_files, tmp_path):
    """A site file whose matrix is named for another site warns, as the command does."""
    forcing_csv, _ = small_files
    with open(os.path.join(REPO, "examples", "sites", "US-Bi1.toml")) as f:
        text = f.read()
    other = os.path.join(DATA, "dij", "Dij_US-Me2_50L.csv")
    text = re.sub(r'(?m)^matrix = .*$', 'matrix = "' + other + '"', text)
    site = tmp_path / "site.toml"
    site.write_text(text)
    with pytest.warns(UserWarning, match=r"Dij_US-Me2_50L\.csv: the dispersion matrix is named for US-Me2, the model "
                                         r"is US-Bi1's"):
        canveg.load_model(str(site)).run(canveg.read_forcing(forcing_csv), threads=1)


def test_implausible_parameter_warns(small_files, tmp_path):
    """A model file edited to a parameter no canopy can have warns, as the command does."""
    forcing_csv, _ = small_files
    with open(PB_1L) as f:
        model = json.load(f)
    model["para"]["vcopt"]["value"] = -50.0
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(model))
    with pytest.warns(UserWarning, match=r"parameter vcopt = -50 umol m-2 s-1 is not positive"):
        canveg.load_model(str(edited)).run(canveg.read_forcing(forcing_csv), threads=1)


def test_bad_model_files():
    with pytest.raises(canveg.InputError, match="cannot|no such|open"):
        canveg.load_model("no-such-model.json")


def test_neural_network_baseline_equals_the_command(cli, small_files, tmp_path):
    forcing_csv, _ = small_files
    dnn_json = model_path("US-Bi1_DNN_LE-GPP-0.5.json")
    training = [os.path.join(SITE, name) for name in ("US-Bi1-forcings.csv", "US-Bi1-fluxes.csv")]
    out = tmp_path / "dnn.csv"
    result = run_cli(cli, "run", "--model", dnn_json, "--forcing", forcing_csv, "--scaler-forcing", training[0],
                     "--scaler-fluxes", training[1], "--output", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    model = canveg.load_model(dnn_json)
    assert isinstance(model, canveg.NeuralNetworkModel) and not model.has_scalers and model.trained_le_weight == 0.5
    assert model.reported["LE_test_NSE"] == pytest.approx(0.875, abs=5e-4)
    forcing = canveg.read_forcing(forcing_csv)
    frame = model.run(forcing, scaler_forcing=training[0], scaler_fluxes=canveg.read_observed(training[1]))
    assert_same_outputs(frame, str(out))
    assert frame.attrs["units"] == {"LE": "W m-2", "NEE": "umol m-2 s-1"}
    # Fitted once, the scalers travel with the copy.
    scaled = model.with_scalers(training[0], training[1])
    assert scaled.has_scalers
    pd.testing.assert_frame_equal(scaled.run(forcing), frame)
    # A published network without its standardisation cannot run.
    with pytest.raises(canveg.InputError, match="scaler"):
        model.run(forcing)
    with pytest.raises(canveg.InputError, match="together"):
        model.run(forcing, scaler_forcing=training[0])


def test_evaluate_equals_the_commands_metrics(cli, small_files, tmp_path):
    forcing_csv, fluxes_csv = small_files
    frame = canveg.load_model(PB_1L).run(canveg.read_forcing(forcing_csv))
    metrics = canveg.evaluate(frame, fluxes_csv)
    assert list(metrics.index) == ["LE", "NEE"]
    assert list(canveg.evaluate(frame, fluxes_csv, fluxes=["H", "LE"]).index) == ["H", "LE"]
    assert list(metrics.columns) == ["n", "NSE", "RMSE", "R2", "KGE", "bias"]
    result = run_cli(cli, "run", "--model", PB_1L, "--forcing", forcing_csv, "--output", str(tmp_path / "o.csv"),
                     "--observed", fluxes_csv, "--quiet")
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] in ("LE", "NEE"):
            n, nse, rmse = int(fields[2]), float(fields[3]), float(fields[4])
            assert metrics.loc[fields[0], "n"] == n == ROWS
            assert metrics.loc[fields[0], "NSE"] == pytest.approx(nse, abs=5e-5)
            assert metrics.loc[fields[0], "RMSE"] == pytest.approx(rmse, abs=5e-4)
    # Observations as a table give the same as the file; shifted ones are refused.
    observed = canveg.read_observed(fluxes_csv)
    pd.testing.assert_frame_equal(canveg.evaluate(frame, observed), metrics)
    with pytest.raises(canveg.InputError, match="TIMESTAMP_END"):
        canveg.evaluate(frame, observed.shift(1, freq="30min"))
    # Arrays without time stamps are matched row by row, as documented; a file without them is refused.
    arrays = {"LE": observed["LE"].to_numpy(), "NEE": observed["NEE"].to_numpy()}
    pd.testing.assert_frame_equal(canveg.evaluate(frame, arrays), metrics)
    # Numbers get the file reader's checks: a missing-value code other than -9999 is refused.
    coded = {"LE": arrays["LE"].copy(), "NEE": arrays["NEE"]}
    coded["LE"][5] = -6999.0
    with pytest.raises(canveg.InputError, match="row 5: -6999 W m-2 is beyond what a flux tower measures"):
        canveg.evaluate(frame, coded)
    timeless = tmp_path / "timeless.csv"
    pd.read_csv(fluxes_csv).drop(columns=["TIMESTAMP_END"]).to_csv(timeless, index=False)
    with pytest.raises(canveg.InputError, match="has no time stamps"):
        canveg.evaluate(frame, str(timeless))
    # A file covering more half-hours (the whole test period) is matched by time stamp; one that
    # lacks a half-hour of the predictions is refused, naming it.
    whole_period = os.path.join(SITE, "US-Bi1-fluxes-test.csv")
    pd.testing.assert_frame_equal(canveg.evaluate(frame, whole_period), metrics)
    with pytest.raises(canveg.InputError, match="has no row for the half-hour ending '2020-07-01 00:00:00'"):
        canveg.evaluate(frame, canveg.read_observed(whole_period).iloc[1:])


def test_gradient_matches_finite_differences(small_files):
    forcing_csv, fluxes_csv = small_files
    model = canveg.load_model(PB_1L)
    forcing = canveg.read_forcing(forcing_csv)
    kwargs = dict(batch_size=48, threads=2)
    g = model.loss_and_gradient(forcing, fluxes_csv, **kwargs)
    assert g.names == list(model.parameters.index) and len(g.gradient) == len(g.names)
    assert g.batches == ROWS // 48 and g.rows == ROWS and g.le_weight == 0.5
    assert g.loss == pytest.approx(model.loss(forcing, fluxes_csv, **kwargs), rel=1e-12)
    values = model.parameters
    checked = 0
    for name in g.names[:21]:
        k = g.names.index(name)
        if abs(g.gradient[k]) < 1e-6 * abs(g.loss) / max(abs(values[name]), 1e-12):
            continue
        h = 1e-5 * max(abs(values[name]), 1e-3)
        up = model.with_parameters({name: values[name] + h}).loss(forcing, fluxes_csv, **kwargs)
        down = model.with_parameters({name: values[name] - h}).loss(forcing, fluxes_csv, **kwargs)
        fd = (up - down) / (2 * h)
        assert g.gradient[k] == pytest.approx(fd, rel=2e-4, abs=1e-9 * abs(g.loss) / h), name
        checked += 1
        if checked == 3:
            break
    assert checked == 3


def test_train_a_few_epochs(small_files, tmp_path):
    forcing_csv, fluxes_csv = small_files
    model = canveg.load_model(PB_1L)
    forcing = canveg.read_forcing(forcing_csv)
    result = canveg.train(model, forcing, fluxes_csv, epochs=3, batch_size=48, learning_rate=0.01,
                          trained=["vcopt", "bprime"], threads=2)
    assert list(result.history.index) == [0, 1, 2]
    assert result.trained == ["vcopt", "bprime"]
    assert np.isfinite(result.history["train_loss"]).all()
    before, after = model.parameters, result.model.parameters
    assert after["vcopt"] != before["vcopt"] and after["bprime"] != before["bprime"]
    others = [n for n in before.index if n not in result.trained]
    np.testing.assert_array_equal(after[others].to_numpy(), before[others].to_numpy())
    # The loss at the start of epoch 0 is the untrained model's.
    assert result.history["train_loss"].iloc[0] == pytest.approx(
        model.loss(forcing, fluxes_csv, batch_size=48), rel=1e-12)
    saved = tmp_path / "trained.json"
    result.model.save(saved)
    np.testing.assert_array_equal(canveg.load_model(saved).parameters.to_numpy(), after.to_numpy())


def test_example_reproduces_the_reported_nse(tmp_path):
    sys.path.insert(0, os.path.join(REPO, "examples", "python"))
    try:
        import reproduce_nse
    finally:
        sys.path.pop(0)
    model, predicted, observed, metrics = reproduce_nse.reproduce()
    assert len(predicted) == 26304
    # tests/test_reproduction.cpp's tolerance on the published test NSE.
    assert metrics.loc["LE", "NSE"] == pytest.approx(model.reported["LE_test_NSE"], abs=1e-4)
    assert metrics.loc["NEE", "NSE"] == pytest.approx(model.reported["NEE_test_NSE"], abs=1e-4)
    png = tmp_path / "diurnal.png"
    reproduce_nse.plot_diurnal(predicted, observed, str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_interpreter_runs_while_the_model_does(small_files):
    """The GIL is released during a run: another Python thread keeps running meanwhile."""
    import threading
    import time

    model = canveg.load_model(HYBRID_ML)
    forcing = canveg.read_forcing(small_files[0])
    done = []
    # Three runs in a row, so that the thread works long enough to count ticks on any machine.
    thread = threading.Thread(
        target=lambda: done.extend(model.run(forcing, threads=1, formulation="corrected") for _ in range(3)))
    ticks = 0
    start = time.perf_counter()
    thread.start()
    while thread.is_alive():
        ticks += 1
        time.sleep(0.005)
    thread.join()
    elapsed = time.perf_counter() - start
    assert len(done) == 3 and len(done[0]) == ROWS
    # Held, the GIL would allow a handful of ticks at most (before and after each C++ call); released,
    # the loop ticks through the runs (at least 30% of the ideal count, for loaded machines).
    assert ticks >= 20 and ticks > 0.3 * elapsed / 0.005, (ticks, elapsed)


def test_netcdf_forcing_with_a_supplement(cli, small_files, tmp_path):
    """A NetCDF forcing (the command's ALMA conversion) read by read_forcing with its options."""
    forcing_csv, _ = small_files
    nc = tmp_path / "alma.nc"
    result = run_cli(cli, "convert", "--forcing", forcing_csv, "--to", "alma", "--output", str(nc))
    assert result.returncode == 0, result.stderr
    supplement = tmp_path / "alma-supplement.csv"
    assert supplement.exists()
    model = canveg.load_model(PB_1L)
    with pytest.raises(canveg.InputError, match="ustar"):
        canveg.read_forcing(nc)
    forcing = canveg.read_forcing(nc, supplement=supplement)
    assert len(forcing) == ROWS and forcing["TA_F"].between(-60, 60).all()
    from_nc = model.run(forcing)
    from_csv = model.run(canveg.read_forcing(forcing_csv))
    assert (from_nc.index == from_csv.index).all()
    # Pressure and humidity pass through unit conversions (Pa, kg/kg) and back.
    np.testing.assert_allclose(from_nc.to_numpy(), from_csv.to_numpy(), rtol=1e-9, atol=1e-9)
