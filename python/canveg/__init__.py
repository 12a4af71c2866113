"""canveg from Python: run, evaluate, differentiate and train the CanVeg multi-layer canopy model.

The module wraps the C++ library (the same readers, checks, physics and metrics as the ``canveg``
command), so a DataFrame gives the numbers the command gives for the same file, and bad input
raises :class:`InputError` with the message the command prints (file, line, field).

>>> import canveg
>>> model = canveg.load_model("US-Bi1_PB-1L-0.5.json")
>>> forcing = canveg.read_forcing("US-Bi1-forcings-test.csv")
>>> fluxes = model.run(forcing)                      # DataFrame indexed by TIMESTAMP_END
>>> canveg.evaluate(fluxes, "US-Bi1-fluxes-test.csv")  # NSE, RMSE, R2, KGE, bias per flux

Output columns and units: ``canveg.OUTPUT_UNITS`` (also ``fluxes.attrs["units"]``).
"""
from __future__ import annotations

import os
from typing import Iterable, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _canveg, autodiff
from ._canveg import InputError

__all__ = [
    "InputError",
    "Model",
    "NeuralNetworkModel",
    "LossFunction",
    "LossGradient",
    "TrainResult",
    "OUTPUT_UNITS",
    "OUTPUT_MEANINGS",
    "DIAGNOSTIC_UNITS",
    "load_model",
    "read_forcing",
    "read_observed",
    "evaluate",
    "train",
]

#: Output name -> unit, in the order of the command's CSV columns (include/canveg/fields.hpp).
OUTPUT_UNITS = {name: unit for name, unit, _ in _canveg.OUTPUT_FIELDS}
#: Output name -> meaning.
OUTPUT_MEANINGS = {name: meaning for name, _, meaning in _canveg.OUTPUT_FIELDS}
#: Diagnostic column (``run(diagnostics=True)``, ``run(convergence=True)``) -> unit.
DIAGNOSTIC_UNITS = {name: unit for name, unit, _ in _canveg.DIAGNOSTIC_FIELDS}

# The library's time stamps ("YYYY-MM-DD HH:MM:SS", end of the half-hour, local standard time).
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

Forcing = Union[pd.DataFrame, Mapping[str, Sequence]]
Observed = Union[str, os.PathLike, pd.DataFrame, Mapping[str, Sequence]]

# Observation columns, first match wins: the flux reader's names (README "Inputs").
_OBSERVED_ALIASES = {
    "LE": ("LE", "LE_F_MDS"),
    "H": ("H", "H_F_MDS"),
    "G": ("G", "G_F_MDS", "G_5cm"),
    "Rnet": ("NETRAD", "Rnet"),
    "GPP": ("GPP", "GPP_NT_VUT_REF", "GPP_DT_VUT_REF"),
    "NEE": ("FCO2", "Fco2", "FC", "NEE_CUT_REF", "NEE_VUT_REF", "NEE"),
    "Rsoil": ("Rsoil",),
}


def _text(values: np.ndarray) -> list:
    """Cells as text; missing values (None, NaN, NaT, pd.NA) become empty cells, the reader's gaps."""
    return ["" if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)) else str(v)
            for v in values.tolist()]


def _columns(forcing: Forcing, what: str = "forcing") -> tuple:
    """(source, [(name, float64 array | list of str), ...]): each column converted once.

    Floats pass as numbers (the library writes each as the shortest text that reads back to the
    same double, so nothing is lost); integers and text pass as text, exactly as in a file;
    datetimes as ``YYYY-MM-DD HH:MM:SS``.
    """
    if isinstance(forcing, pd.DataFrame):
        source = str(forcing.attrs.get("source", f"{what} DataFrame"))
        items = [(str(name), forcing[name].to_numpy()) for name in forcing.columns]
        if isinstance(forcing.index, pd.DatetimeIndex) and forcing.index.name and forcing.index.name not in forcing:
            items.insert(0, (str(forcing.index.name), forcing.index.to_numpy()))
    elif isinstance(forcing, Mapping):
        source = f"{what} dict"
        items = [(str(name), np.asarray(values)) for name, values in forcing.items()]
    else:
        raise TypeError(f"{what}: expected a pandas DataFrame or a dict of arrays, got {type(forcing).__name__}")
    columns = []
    for name, values in items:
        values = np.asarray(values)
        if values.ndim != 1:
            raise InputError(f"{source}: field '{name}': a column must be one-dimensional")
        if values.dtype.kind == "f" or values.dtype.kind == "b":
            columns.append((name, np.ascontiguousarray(values, dtype=np.float64)))
        elif values.dtype.kind in "iu":  # integers cannot be missing: one vectorised conversion
            columns.append((name, values.astype(str).tolist()))
        elif values.dtype.kind == "M":
            columns.append((name, list(pd.DatetimeIndex(values).strftime(_TIME_FORMAT))))
        else:
            columns.append((name, _text(values)))
    return source, columns


def _forcing_options(columns=None, units=None, lai=None, canopy_height=None, supplement=None, fill=None,
                     max_gap=None) -> dict:
    """The command's forcing options (--column, --units, --lai, ...) for the library's reader."""
    def path_or_value(v):
        return os.fspath(v) if isinstance(v, os.PathLike) else v

    return {"columns": columns, "units": units, "lai": path_or_value(lai),
            "canopy_height": path_or_value(canopy_height), "supplement": path_or_value(supplement),
            "fill": fill, "max_gap": max_gap}


def _observed(observed: Observed):
    """A path for the library's flux reader, or (source, time stamps, {flux: values}) from a table."""
    if isinstance(observed, (str, os.PathLike)):
        return os.fspath(observed)
    if isinstance(observed, pd.DataFrame):
        source = str(observed.attrs.get("source", "observed DataFrame"))
        table = observed
    elif isinstance(observed, Mapping):
        source, table = "observed dict", observed
    else:
        raise TypeError(f"observed: expected a path, a pandas DataFrame or a dict of arrays, got {type(observed).__name__}")
    series = {}
    for flux, aliases in _OBSERVED_ALIASES.items():
        for name in aliases:
            if name in table:
                series[flux] = np.ascontiguousarray(np.asarray(table[name], dtype=np.float64))
                break
    n = len(next(iter(series.values()))) if series else 0
    stamps = [""] * n  # unknown time stamps are not compared
    if isinstance(table, pd.DataFrame) and isinstance(table.index, pd.DatetimeIndex):
        stamps = list(table.index.strftime(_TIME_FORMAT))
    elif "TIMESTAMP_END" in table:
        stamps = _time_text(table["TIMESTAMP_END"])
    return (source, stamps, series)


def _time_text(values) -> list:
    values = np.asarray(values)
    if values.dtype.kind == "M":
        return list(pd.DatetimeIndex(values).strftime(_TIME_FORMAT))
    return _text(values)


def _frame(timestamps: list, columns: Mapping[str, np.ndarray], source: str) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(timestamps, format=_TIME_FORMAT), name="TIMESTAMP_END")
    frame = pd.DataFrame(dict(columns), index=index)
    frame.attrs["source"] = source
    return frame


class LossGradient(NamedTuple):
    """JAX-CanVeg's training loss w MSE(LE) + (1 - w) MSE(NEE) on standardised fluxes and its gradient."""

    loss: float
    gradient: np.ndarray  #: d loss / d parameter, in the order of ``names``
    names: list  #: parameter names (21 scalars, then network weights and biases)
    le_weight: float
    batches: int
    rows: int


class TrainResult(NamedTuple):
    """What :func:`train` returns."""

    model: "Model"  #: the trained model
    history: pd.DataFrame  #: per epoch: learning rate, training and test loss, seconds
    stop_reason: str
    trained: list  #: names of the trained parameters


class _ModelFile:
    """What every model file gives: where it came from and what JAX-CanVeg reported for it."""

    def __init__(self, impl):
        self._impl = impl

    @property
    def path(self) -> str:
        """The file the model was read from."""
        return self._impl.path

    @property
    def site_name(self) -> str:
        return self._impl.site_name

    @property
    def reported(self) -> Optional[dict]:
        """JAX-CanVeg's reported metrics stored in a trained model file (LE_test_NSE, NEE_test_NSE,
        LE_test_RMSE, NEE_test_RMSE, LE_train_NSE, NEE_train_NSE), or None."""
        return self._impl.reported

    @property
    def trained_le_weight(self) -> float:
        """The LE weight w the model was trained with (NaN when the file does not say)."""
        return self._impl.trained_le_weight


class Model(_ModelFile):
    """A loaded model: a trained JAX-CanVeg model (JSON) or a site of our own (TOML).

    Create with :func:`load_model`. ``run`` predicts fluxes from a forcing table,
    ``loss_and_gradient`` differentiates JAX-CanVeg's training loss, :func:`train` fits it.
    """

    def __repr__(self) -> str:
        return f"<canveg.Model {self.site_name!r} from {self.path!r}: {self.canopy_layers} canopy layers, formulation {self.formulation}>"

    @property
    def canopy_layers(self) -> int:
        return self._impl.canopy_layers

    @property
    def formulation(self) -> str:
        """``jax`` (JAX-CanVeg's, the default of a trained model) or ``corrected`` (a site's default)."""
        return self._impl.formulation

    @property
    def parameters(self) -> pd.Series:
        """The trained parameters (the gradient's order): name -> value."""
        return pd.Series(self._impl.parameter_values(), index=self._impl.parameter_names(), name="value")

    def with_parameters(self, values: Mapping[str, float]) -> "Model":
        """A copy with some trained parameters replaced, by name (see ``parameters``)."""
        names = list(values)
        return Model(self._impl.with_parameters(names, [float(values[n]) for n in names]))

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the model as JSON (read back by :func:`load_model` and ``canveg run --model``)."""
        self._impl.save(os.fspath(path))

    def run(self, forcing: Forcing, *, threads: int = 0, formulation: Optional[str] = None,
            independent: bool = False, diagnostics: bool = False, convergence: bool = False,
            converge: Optional[float] = None, max_iterations: int = 100, **forcing_options) -> pd.DataFrame:
        """Runs the model over every half-hour of ``forcing``.

        forcing: a DataFrame (or a dict of arrays) with a forcing file's own columns, e.g. what
            :func:`read_forcing` returns: ``TIMESTAMP_END`` as text (or datetimes, or
            Year/DoY/Hour), ``TA_F``, ``SW_IN_F``, ``VPD_F`` or ``eair``, ... found by the same alias
            table, units and range checks as the command (README "Inputs"); a row's "line" in
            messages is its position below a header line (row 0 = line 2), or the file's line
            for a DataFrame from :func:`read_forcing`.
        threads: worker threads (0: all cores). The GIL is released while the model runs.
        formulation: ``"jax"`` or ``"corrected"`` (default: the model file's).
        independent: independent half-hours (soil storage term off, JAX-CanVeg with batch size 1).
        diagnostics: append the energy-balance residual columns (``--diagnostics``).
        convergence: append per half-hour the change in the last iteration and the implausible-state
            flags (``--convergence``, docs/reliability.md).
        converge: iterate the record until the largest change of one iteration is below this
            tolerance (K and W m-2), at most ``max_iterations`` times (``--converge TOL
            --max-iterations N``); default: JAX-CanVeg's fixed iteration count.
        forcing_options: ``columns={"ts": "TS_F_MDS_1"}``, ``units={"ta": "K"}``, ``lai=`` and
            ``canopy_height=`` (a constant or a CSV path), ``supplement=`` (a CSV path),
            ``fill="linear", max_gap=N``: the command's ``--column``, ``--units``, ... options.

        Returns a DataFrame indexed by ``TIMESTAMP_END`` (datetime, end of each half-hour, local
        standard time) with one column per output, in the command's CSV order and units
        (``df.attrs["units"]``, ``canveg.OUTPUT_UNITS``): LE, H [W m-2] (upward), NEE
        [umol m-2 s-1] (upward), GPP [umol m-2 s-1], Rnet, G [W m-2] (towards the surface),
        Rnet_top, LE_veg, LE_soil, H_veg, H_soil, Rnet_veg, Rnet_soil [W m-2], Rsoil, Ps
        [umol m-2 s-1], gs [m s-1], Tleaf, Tsoil_sfc [K], zL [-] (docs/fields.md).
        The diagnostic columns follow in the command's order (``canveg.DIAGNOSTIC_UNITS``).
        ``df.attrs`` also holds ``formulation``, ``model``, ``seconds`` (the run's wall time),
        ``iterations`` (outer iterations used) and, with ``converge``, ``converged``.
        Raises InputError on bad forcing, including shortwave radiation hours off the sun of the
        model's site (time stamps in UTC); warns (UserWarning) about dark days and humidity that
        looks read in a unit too small, as the command does (docs/fields.md).
        """
        source, columns = _columns(forcing)
        timestamps, outputs, used, seconds, iterations, converged = _canveg.run(
            self._impl, source, columns, _forcing_options(**forcing_options), int(threads), formulation,
            bool(independent), bool(diagnostics), bool(convergence), float(converge or 0.0), int(max_iterations))
        frame = _frame(timestamps, outputs, source)
        units = {name: OUTPUT_UNITS[name] if name in OUTPUT_UNITS else DIAGNOSTIC_UNITS[name] for name in frame.columns}
        frame.attrs.update(units=units, formulation=used, model=self.path, seconds=seconds, iterations=iterations)
        if converged is not None:
            frame.attrs["converged"] = converged
        return frame

    def loss_function(self, forcing: Forcing, observed: Observed, *, le_weight: Optional[float] = None,
                      batch_size: int = 1024, keep_remainder: bool = False, method: str = "unrolled",
                      scaler_observed: Optional[Observed] = None, threads: int = 0,
                      formulation: Optional[str] = None, **forcing_options) -> "LossFunction":
        """JAX-CanVeg's training loss as a function of the trained parameters, its data read once.

        loss = w MSE(LE) + (1 - w) MSE(NEE) on fluxes standardised with the mean and standard
        deviation of ``scaler_observed`` (default: ``observed``; JAX-CanVeg uses the training flux
        file), per batch of ``batch_size`` contiguous half-hours (0: the whole record; 1:
        independent half-hours), averaged over batches; rows after the last full batch are
        dropped unless ``keep_remainder``. ``le_weight`` defaults to the model's training weight,
        else 0.5. ``method``: how the gradient passes the fixed point: unrolled (exact), implicit,
        onestep, onestep-jax (docs/gradients.md). observed: a flux CSV path (the command's reader)
        or a table with LE and NEE (or the reader's other names) on the forcing's half-hours.
        The loss of ``canveg sensitivity``, but for one default: rows after the last full batch
        are dropped here unless ``keep_remainder``, as JAX-CanVeg's training drops them, where
        the command keeps them unless ``--drop-remainder``. The result is what
        :mod:`canveg.autodiff` hands to JAX and PyTorch.
        """
        source, columns = _columns(forcing)
        return LossFunction(_canveg.LossFunction(
            self._impl, source, columns, _forcing_options(**forcing_options), _observed(observed),
            None if scaler_observed is None else _observed(scaler_observed),
            float("nan") if le_weight is None else float(le_weight), int(batch_size), bool(keep_remainder), method,
            int(threads), formulation))

    def loss_and_gradient(self, forcing: Forcing, observed: Observed, **options) -> LossGradient:
        """The training loss of :meth:`loss_function` (same options) and its gradient at this model's parameters."""
        return self.loss_function(forcing, observed, **options).loss_and_gradient()

    def loss(self, forcing: Forcing, observed: Observed, **options) -> float:
        """The loss of :meth:`loss_function` (same options) alone (a forward run), e.g. for finite differences."""
        return self.loss_function(forcing, observed, **options)()


class LossFunction:
    """JAX-CanVeg's training loss of one model on one record, as a function of the trained parameters.

    Create with :meth:`Model.loss_function`: the forcing is read and checked, the observations
    aligned and the output scaler fitted once; each call then runs the model (and its exact
    gradient) at the given parameter values with the GIL released. Values are a float64 array in
    the order of ``names`` (start from ``initial``) or a mapping name -> value for some of them.
    :func:`canveg.autodiff.jax_loss` and :func:`canveg.autodiff.torch_loss` wrap it for JAX and
    PyTorch.
    """

    def __init__(self, impl: "_canveg.LossFunction"):
        self._impl = impl
        #: Trained parameter names: 21 scalars, then the networks' weights and biases.
        self.names = list(impl.names)
        self._index = {name: k for k, name in enumerate(self.names)}

    @property
    def initial(self) -> np.ndarray:
        """The model's own parameter values, in the order of ``names``."""
        return self._impl.initial

    @property
    def le_weight(self) -> float:
        """w of the loss."""
        return self._impl.le_weight

    @property
    def rows(self) -> int:
        """Half-hours of the record."""
        return self._impl.rows

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"<canveg.LossFunction of {len(self.names)} parameters on {self.rows} half-hours, w = {self.le_weight}>"

    def values(self, values=None) -> np.ndarray:
        """The full parameter vector: ``initial`` with ``values`` (array or mapping by name) applied."""
        if values is None:
            return self.initial
        if isinstance(values, Mapping):
            full = self.initial.copy()
            for name, value in values.items():
                if name not in self._index:
                    raise InputError(f"field '{name}': not a trained parameter of this model (LossFunction.names)")
                full[self._index[name]] = float(value)
            return full
        return np.asarray(values, dtype=np.float64)

    def __call__(self, values=None) -> float:
        """The loss at ``values`` (default: the model's own), a forward run without the gradient."""
        return self._impl.value(self.values(values))

    def value_and_gradient(self, values=None) -> tuple:
        """(loss, d loss / d parameters as a float64 array in the order of ``names``)."""
        loss, gradient, *_ = self._impl.value_and_gradient(self.values(values))
        return loss, gradient

    def loss_and_gradient(self, values=None) -> LossGradient:
        """The loss and gradient at ``values`` with the record's batch and row counts."""
        loss, gradient, batches, rows, _ = self._impl.value_and_gradient(self.values(values))
        return LossGradient(loss, gradient, list(self.names), self.le_weight, batches, rows)


class NeuralNetworkModel(_ModelFile):
    """JAX-CanVeg's pure neural-network baseline (docs/training.md): 9 forcings (ta, rg, eair, ws,
    co2, pa, ustar, swc, lai) -> 2 tanh layers -> LE and NEE, in single precision as trained.

    Create with :func:`load_model` on a ``<SITE>_DNN_LE-GPP-<w>.json`` file or one written by
    ``canveg train --family DNN``. JAX-CanVeg did not store its networks' input and output
    standardisation, so a published file needs the training forcing and fluxes to recompute it
    (``scaler_forcing``/``scaler_fluxes``, as ``canveg run --scaler-forcing/--scaler-fluxes``);
    a file canveg trained carries its own.
    """

    def __repr__(self) -> str:
        scalers = "with" if self.has_scalers else "without"
        return f"<canveg.NeuralNetworkModel {self.site_name!r} from {self.path!r}, {scalers} scalers>"

    @property
    def has_scalers(self) -> bool:
        """Whether the model carries its standardisation statistics."""
        return self._impl.has_scalers

    def with_scalers(self, forcing: Union[Forcing, str, os.PathLike], fluxes: Observed) -> "NeuralNetworkModel":
        """A copy whose standardisation is fitted (mean and population standard deviation, as
        scikit-learn's StandardScaler) on the training forcing (a file path or a table) and the
        training fluxes (LE and NEE; a path or a table) of the same half-hours."""
        if isinstance(forcing, (str, os.PathLike)):
            forcing = read_forcing(forcing)
        source, columns = _columns(forcing)
        return NeuralNetworkModel(_canveg.dnn_with_scalers(self._impl, source, columns, _forcing_options(),
                                                           _observed(fluxes)))

    def run(self, forcing: Forcing, *, scaler_forcing=None, scaler_fluxes=None, **forcing_options) -> pd.DataFrame:
        """LE [W m-2] and NEE [umol m-2 s-1] for every half-hour of ``forcing`` (a DataFrame or a
        dict of arrays, read as :meth:`Model.run` reads it), as ``canveg run --model <DNN file>``
        writes them. ``scaler_forcing`` and ``scaler_fluxes`` (together) first refit the
        standardisation (:meth:`with_scalers`); a model without scalers needs them."""
        model = self
        if scaler_forcing is not None or scaler_fluxes is not None:
            if scaler_forcing is None or scaler_fluxes is None:
                raise InputError("field 'scaler_forcing': give scaler_forcing and scaler_fluxes together")
            model = self.with_scalers(scaler_forcing, scaler_fluxes)
        source, columns = _columns(forcing)
        timestamps, outputs = _canveg.run_dnn(model._impl, source, columns, _forcing_options(**forcing_options))
        frame = _frame(timestamps, outputs, source)
        frame.attrs.update(units={name: OUTPUT_UNITS[name] for name in ("LE", "NEE")}, model=self.path)
        return frame


def load_model(path: Union[str, os.PathLike]) -> Union[Model, NeuralNetworkModel]:
    """Reads a model: a trained JAX-CanVeg model JSON (``jax-canveg-trained/*.json``), a site
    file in TOML (``examples/sites/``), or a neural-network baseline JSON (``*_DNN_*.json``,
    returned as a :class:`NeuralNetworkModel`). Raises InputError on a malformed file."""
    impl = _canveg.load_model(os.fspath(path))
    return NeuralNetworkModel(impl) if isinstance(impl, _canveg.DnnModel) else Model(impl)


def read_forcing(path: Union[str, os.PathLike], **forcing_options) -> pd.DataFrame:
    """Reads a forcing file as a DataFrame that :meth:`Model.run` takes.

    A CSV comes back as it is in the file: its own columns (``TIMESTAMP_END`` as text), the
    numbers read to the same doubles as the command reads them, so a run gives the command's
    output bit for bit; ``attrs["source"]`` is the path, so messages name the file and its lines.
    A NetCDF file, or a CSV with forcing options (``columns=``, ``units=``, ``lai=``,
    ``supplement=``, ``fill=``...), is read by the library with all its checks and comes back as
    the model's variables in canonical units (Year, DoY, Hour, TA_F [degC], SW_IN_F [W m-2],
    eair [kPa], WS_F [m s-1], CO2_F_MDS [umol mol-1], PA_F [kPa], USTAR [m s-1], TS_F [degC],
    SWC_F [m3 m-3], veg_ht [m], LAI [m2 m-2]) under names the alias table reads back.
    """
    path = os.fspath(path)
    options = {k: v for k, v in forcing_options.items() if v is not None}
    with open(path, "rb") as f:
        netcdf = f.read(4) in (b"CDF\x01", b"CDF\x02", b"\x89HDF")
    if not netcdf and not options:
        # round_trip: Python's correctly rounded parser, the same doubles as the library's reader.
        frame = pd.read_csv(path, float_precision="round_trip", skipinitialspace=True)
        frame.attrs["source"] = path
        return frame
    record = _canveg.read_forcing_file(path, None, _forcing_options(**options))
    names = {"year": "Year", "doy": "DoY", "hour": "Hour", "ta": "TA_F", "rg": "SW_IN_F", "eair": "eair",
             "ws": "WS_F", "co2": "CO2_F_MDS", "pa": "PA_F", "ustar": "USTAR", "ts": "TS_F", "swc": "SWC_F",
             "veg_ht": "veg_ht", "lai": "LAI"}
    frame = pd.DataFrame({"TIMESTAMP_END": record["TIMESTAMP_END"]})
    for variable, column in names.items():
        frame[column] = record[variable]
    frame.attrs["source"] = path
    frame.attrs["sources"] = record["sources"]
    return frame


def read_observed(path: Union[str, os.PathLike]) -> pd.DataFrame:
    """Reads observed fluxes as ``canveg run --observed`` does (LE, H, G, Rnet, GPP, NEE, Rsoil where
    present; gaps interpolated linearly as JAX-CanVeg's get_obs), indexed by TIMESTAMP_END."""
    d = _canveg.read_flux_csv(os.fspath(path))
    series = {k: d[k] for k in _OBSERVED_ALIASES if k in d}
    stamps = d["TIMESTAMP_END"]
    if all(stamps):
        frame = _frame(stamps, series, d["source"])
    else:
        frame = pd.DataFrame(series)
        frame.attrs["source"] = d["source"]
    frame.attrs["columns"] = {"LE": d["le_column"], "NEE": d["nee_column"]}
    return frame


def evaluate(predicted: pd.DataFrame, observed: Observed, fluxes: Sequence[str] = ("LE", "NEE")) -> pd.DataFrame:
    """NSE, RMSE, R2, KGE and bias of LE and NEE (README "Evaluation"), as ``canveg run --observed``.

    predicted: what :meth:`Model.run` returns (or any table with LE, NEE, ... columns and a
    TIMESTAMP_END index). observed: a flux CSV path (read as ``canveg run --observed`` reads it)
    or a table of observations, whose values get the file reader's checks (-9999 and NaN are gaps,
    a value beyond what a flux tower measures is an InputError). The half-hours must align (time stamps compared row by row), or
    observations with time stamps may cover more half-hours, whose rows are then picked by time stamp.
    Predictions with |x| > 10000 or non-finite are dropped with their observation, as
    JAX-CanVeg's post-processing did; NSE = 1 - sum (p - o)^2 / sum (o - mean o)^2.
    fluxes: which ones, of LE, H, G, Rnet, GPP, NEE, Rsoil, where both tables have them (the
    others are compared as they are: check that the observations' sign conventions are the
    outputs', docs/fields.md). Returns a DataFrame indexed by flux with columns n, NSE, RMSE, R2,
    KGE, bias.
    """
    unknown = [f for f in fluxes if f not in _OBSERVED_ALIASES]
    if unknown:
        raise InputError(f"field 'fluxes': {', '.join(unknown)} not among {', '.join(_OBSERVED_ALIASES)}")
    if isinstance(predicted.index, pd.DatetimeIndex):
        stamps = list(predicted.index.strftime(_TIME_FORMAT))
    elif "TIMESTAMP_END" in predicted:
        stamps = _time_text(predicted["TIMESTAMP_END"])
    else:
        stamps = [""] * len(predicted)
    series = {name: np.ascontiguousarray(np.asarray(predicted[name], dtype=np.float64))
              for name in fluxes if name in predicted}
    source = str(predicted.attrs.get("source", "predicted DataFrame"))
    metrics = _canveg.evaluate(stamps, source, series, _observed(observed))
    frame = pd.DataFrame.from_dict(metrics, orient="index", columns=["n", "NSE", "RMSE", "R2", "KGE", "bias"])
    frame = frame.loc[[f for f in fluxes if f in metrics]]
    frame.index.name = "flux"
    return frame


def train(model: Model, forcing: Forcing, observed: Observed, *, epochs: int = 300, learning_rate: float = 0.01,
          batch_size: int = 1024, le_weight: Optional[float] = None, trained: Iterable[str] = (),
          test_forcing: Optional[Forcing] = None, test_observed: Optional[Observed] = None, threads: int = 0,
          formulation: Optional[str] = None, **forcing_options) -> TrainResult:
    """Fits the model's parameters to observed LE and NEE with JAX-CanVeg's procedure (``canveg train``).

    One Adam step per epoch over batches of ``batch_size`` contiguous half-hours, the learning rate
    halved at epochs 50, 100 and 200, every parameter clipped to its bounds, JAX-CanVeg's stop
    rules, the one-step gradient with one update per parameter until epoch 200 and the exact
    gradient after it, the parameters of the lowest training loss kept (``canveg train``'s
    defaults, docs/training.md); loss w MSE(LE) + (1 - w) MSE(NEE) on fluxes standardised by the training
    observations (``le_weight`` defaults to the model's training weight, else 0.5). ``trained``: parameter names
    (or "LeafRHDL"/"RsoilDL"); default JAX-CanVeg's list. With ``test_forcing`` and
    ``test_observed`` the test loss is logged per epoch. The GIL is released while training.
    """
    source, columns = _columns(forcing)
    test_source = test_columns = test_obs = None
    if (test_forcing is None) != (test_observed is None):
        raise InputError("test_forcing: give test_forcing and test_observed together")
    if test_forcing is not None:
        test_source, test_columns = _columns(test_forcing, "test forcing")
        test_obs = _observed(test_observed)
    trained_model, history, stop_reason, names = _canveg.train(
        model._impl, source, columns, _forcing_options(**forcing_options), _observed(observed), test_source,
        test_columns, test_obs, int(epochs), float(learning_rate), int(batch_size),
        float("nan") if le_weight is None else float(le_weight), list(trained), int(threads), formulation)
    history = pd.DataFrame(history)
    history["epoch"] = history["epoch"].astype(int)
    return TrainResult(Model(trained_model), history.set_index("epoch"), stop_reason, list(names))
