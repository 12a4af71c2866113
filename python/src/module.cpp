// canveg._canveg: the library's Python bindings. Thin on purpose: the package python/canveg/
// turns DataFrames into columns and results into DataFrames; everything that reads, checks or
// computes is the library's own code, so Python and the command line give the same numbers and
// the same messages.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "canveg/canveg.hpp"

namespace py = pybind11;

namespace {

using Columns = std::vector<canveg::ForcingColumn>;

// [(name, float64 array | list of str), ...] -> library columns, copied once while the GIL is held.
Columns to_columns(const py::list& items) {
  Columns columns;
  columns.reserve(items.size());
  for (const py::handle item : items) {
    const auto pair = item.cast<py::tuple>();
    canveg::ForcingColumn c;
    c.name = pair[0].cast<std::string>();
    if (py::isinstance<py::list>(pair[1])) {
      c.text = pair[1].cast<std::vector<std::string>>();
    } else {
      const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(pair[1]);
      if (!a || a.ndim() != 1) throw canveg::InputError("", 0, c.name, "a forcing column must be one-dimensional numbers");
      c.numbers.assign(a.data(), a.data() + a.size());
    }
    columns.push_back(std::move(c));
  }
  return columns;
}

// The reader settings given from Python on top of the model's site settings; like the command
// line, a setting replaces the site's for the same variable.
canveg::ForcingReadOptions read_options(const canveg::ForcingReadOptions& site, const py::dict& given) {
  canveg::ForcingReadOptions o = site;
  const auto replace = [](auto& list, const std::string& var, auto value) {
    std::erase_if(list, [&](const auto& e) { return e.first == var; });
    list.emplace_back(var, std::move(value));
  };
  const auto pairs = [&](const char* key, auto& list) {
    if (!given.contains(key) || given[key].is_none()) return;
    for (const auto& [k, v] : py::cast<py::dict>(given[key])) replace(list, py::cast<std::string>(k), py::cast<std::string>(v));
  };
  pairs("columns", o.columns);
  pairs("units", o.units);
  for (const auto& [key, variable] : {std::pair{"lai", "lai"}, std::pair{"canopy_height", "veg_ht"}}) {
    if (!given.contains(key) || given[key].is_none()) continue;
    const py::object v = given[key];
    std::erase_if(o.constants, [&](const auto& e) { return e.first == variable; });
    std::erase_if(o.series_files, [&](const auto& e) { return e.first == variable; });
    if (py::isinstance<py::str>(v)) o.series_files.emplace_back(variable, v.cast<std::string>());
    else o.constants.emplace_back(variable, v.cast<double>());
  }
  if (given.contains("supplement") && !given["supplement"].is_none()) o.supplement = given["supplement"].cast<std::string>();
  const int max_gap = given.contains("max_gap") && !given["max_gap"].is_none() ? given["max_gap"].cast<int>() : 0;
  const std::string fill = given.contains("fill") && !given["fill"].is_none() ? given["fill"].cast<std::string>() : "none";
  if (fill == "linear") {
    if (max_gap <= 0) throw canveg::InputError("", 0, "fill", "fill='linear' needs max_gap=N (half-hours)");
    o.fill = canveg::ForcingGapFill::Linear;
    o.max_gap = max_gap;
  } else if (fill != "none") {
    throw canveg::InputError("", 0, "fill", "expected 'none' or 'linear', found '" + fill + "'");
  } else if (max_gap > 0) {
    throw canveg::InputError("", 0, "max_gap", "max_gap applies with fill='linear'");
  }
  return o;
}

canveg::ForcingRecord read_columns(const std::string& source, const py::list& items, const canveg::ForcingReadOptions& o) {
  Columns columns = to_columns(items);
  py::gil_scoped_release release;
  return canveg::read_forcing_columns(source, columns, o);
}

// Observations from Python: a file path (read_flux_csv, the command line's reader), or
// (source, timestamps, {name: array}) with LE/NEE/... already picked; their values are checked and
// their gaps interpolated as read_flux_csv does.
canveg::ObservedFluxes to_observed(const py::object& observed) {
  if (py::isinstance<py::str>(observed)) {
    const std::string path = observed.cast<std::string>();
    py::gil_scoped_release release;
    return canveg::read_flux_csv(path);
  }
  const auto t = observed.cast<py::tuple>();
  canveg::ObservedFluxes o;
  o.source = t[0].cast<std::string>();
  o.timestamp = t[1].cast<std::vector<std::string>>();
  // Arrays without time stamps are matched by position (canveg.evaluate, canveg.train document it).
  o.by_position = std::all_of(o.timestamp.begin(), o.timestamp.end(), [](const std::string& s) { return s.empty(); });
  const auto series = t[2].cast<py::dict>();
  const std::pair<const char*, std::vector<double>*> members[] = {{"LE", &o.LE},   {"H", &o.H},     {"G", &o.G},
                                                                  {"Rnet", &o.Rnet}, {"GPP", &o.GPP}, {"NEE", &o.NEE},
                                                                  {"Rsoil", &o.Rsoil}};
  for (const auto& [name, member] : members) {
    if (!series.contains(name)) continue;
    const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(series[name]);
    if (!a || a.ndim() != 1) throw canveg::InputError(o.source, 0, name, "observations must be one-dimensional numbers");
    if (a.size() != static_cast<py::ssize_t>(o.timestamp.size()))
      throw canveg::InputError(o.source, 0, name, "has " + std::to_string(a.size()) + " values for " +
                                                      std::to_string(o.timestamp.size()) + " time stamps");
    member->assign(a.data(), a.data() + a.size());
    canveg::check_observed_values(o.source, name, *member);
    canveg::interpolate_gaps(*member);
  }
  o.le_column = o.LE.empty() ? "" : "LE";
  o.nee_column = o.NEE.empty() ? "" : "NEE";
  if (o.LE.empty() && o.NEE.empty()) throw canveg::InputError(o.source, 0, "LE", "the observations have neither LE nor NEE");
  return o;
}

py::array_t<double> to_array(const std::vector<double>& v) { return py::array_t<double>(v.size(), v.data()); }

py::dict observed_dict(const canveg::ObservedFluxes& o) {
  py::dict d;
  d["source"] = o.source;
  d["TIMESTAMP_END"] = o.timestamp;
  const std::pair<const char*, const std::vector<double>*> members[] = {{"LE", &o.LE},   {"H", &o.H},     {"G", &o.G},
                                                                        {"Rnet", &o.Rnet}, {"GPP", &o.GPP}, {"NEE", &o.NEE},
                                                                        {"Rsoil", &o.Rsoil}};
  for (const auto& [name, member] : members)
    if (!member->empty()) d[name] = to_array(*member);
  d["le_column"] = o.le_column;
  d["nee_column"] = o.nee_column;
  return d;
}

py::dict record_dict(const canveg::ForcingRecord& r) {
  py::dict d;
  d["TIMESTAMP_END"] = r.timestamp;
  for (std::size_t i = 0; i < canveg::kForcingFields.size(); ++i)
    d[py::str(std::string(canveg::kForcingFields[i].name))] = to_array(canveg::forcing_series(r, i));
  d["sources"] = canveg::describe_forcing_sources(r);
  return d;
}

// JAX-CanVeg's reported metrics of a model file, or None.
py::object reported_dict(const canveg::ReportedMetrics& r) {
  if (!r.present) return py::none();
  py::dict d;
  d["LE_test_NSE"] = r.le_test_nse;
  d["NEE_test_NSE"] = r.nee_test_nse;
  d["LE_test_RMSE"] = r.le_test_rmse;
  d["NEE_test_RMSE"] = r.nee_test_rmse;
  d["LE_train_NSE"] = r.le_train_nse;
  d["NEE_train_NSE"] = r.nee_train_nse;
  return d;
}

void apply_formulation(canveg::Setup& setup, const std::optional<std::string>& name) {
  if (!name) return;
  canveg::Formulation f{};
  if (!canveg::parse_formulation(*name, f))
    throw canveg::InputError("", 0, "formulation", "expected jax or corrected, found '" + *name + "'");
  canveg::set_formulation(setup, f);
}

// A model file of either kind: a CanVeg model (model JSON or site TOML) or a neural-network
// baseline JSON; Python receives the one the file holds.
std::variant<canveg::LoadedModel, canveg::DnnModel> load(const std::string& path) {
  const auto ends_with = [&](const char* suffix) {
    const std::string s = suffix;
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  py::gil_scoped_release release;
  if (ends_with(".toml")) return canveg::read_site_toml(path);
  if (ends_with(".json")) {
    if (canveg::is_dnn_json(path)) return canveg::read_dnn_json(path);
    return canveg::read_model_json(path);
  }
  throw canveg::InputError(path, 0, "", "expected a model JSON (.json) or a site file (.toml)");
}

py::dict metrics_dict(const canveg::FitMetrics& m) {
  py::dict d;
  d["n"] = m.n;
  d["NSE"] = m.nse;
  d["RMSE"] = m.rmse;
  d["R2"] = m.r2;
  d["KGE"] = m.kge;
  d["bias"] = m.bias;
  return d;
}

// The LE weight w of a loss: the one given (NaN: none), else the model's training weight, else 0.5.
double resolve_le_weight(double given, const canveg::LoadedModel& loaded) {
  if (!std::isnan(given)) return given;
  return std::isnan(loaded.trained_le_weight) ? 0.5 : loaded.trained_le_weight;
}

// The command's plausibility checks of a forcing against the model (docs/fields.md, above the
// forcing table): radiation hours off the sun raises InputError; dark days, humidity in a unit too
// small and an unused constant canopy height come back as text, for warn_all once the GIL is held
// again.
std::vector<std::string> check_against_site(const canveg::ForcingRecord& forcing, const canveg::Setup& site) {
  return canveg::site_plausibility_warnings(forcing, site);
}

// check_against_site, and the parameters no canopy can have (as the commands warn).
std::vector<std::string> check_against_model(const canveg::ForcingRecord& forcing, const canveg::Model<double>& model) {
  std::vector<std::string> warnings = check_against_site(forcing, model.setup);
  for (std::string& w : canveg::parameter_plausibility_warnings(model.para)) warnings.push_back(std::move(w));
  return warnings;
}

// Each text as a Python UserWarning (so that the warnings filters apply; "error" raises it).
void warn_all(const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings)
    if (PyErr_WarnEx(PyExc_UserWarning, w.c_str(), 2) != 0) throw py::error_already_set();
}

// A training loss with its data prepared once (forcing read, observations aligned, scaler fitted),
// evaluated at any parameter vector: what a gradient bridge calls once per optimiser step.
struct PreparedLoss {
  canveg::Model<double> model;
  canveg::ParameterSpace space;
  std::vector<double> initial;
  canveg::ForcingRecord forcing;
  canveg::ObservedFluxes observed;
  canveg::LossSpec loss;
  canveg::GradientOptions options;

  // The model with every trained parameter set from a float64 array in `space` order.
  canveg::Model<double> at(const py::object& values) const {
    const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
    if (!a || a.ndim() != 1 || a.size() != static_cast<py::ssize_t>(space.size()))
      throw canveg::InputError("", 0, "values",
                               "expected a one-dimensional array of the " + std::to_string(space.size()) +
                                   " trained parameters (LossFunction.names)");
    std::vector<double> v(a.data(), a.data() + a.size());
    for (std::size_t k = 0; k < v.size(); ++k)
      if (!std::isfinite(v[k])) throw canveg::InputError("", 0, space.name(k), "is not a finite number");
    canveg::Model<double> m = model;
    space.assign(m, v);
    return m;
  }
};

PreparedLoss prepare_loss(const canveg::LoadedModel& loaded, const std::string& source, const py::list& columns,
                          const py::dict& options, const py::object& observed_in, const py::object& scaler_in,
                          double le_weight, std::size_t batch_size, bool keep_remainder, const std::string& method,
                          int threads, const std::optional<std::string>& formulation) {
  canveg::Model<double> model = loaded.model;
  apply_formulation(model.setup, formulation);
  const canveg::ForcingReadOptions o = read_options(loaded.forcing_options, options);
  canveg::ObservedFluxes observed = to_observed(observed_in);
  const canveg::ObservedFluxes scaler_source = scaler_in.is_none() ? observed : to_observed(scaler_in);
  const double w = resolve_le_weight(le_weight, loaded);
  if (!(w >= 0.0 && w <= 1.0)) throw canveg::InputError("", 0, "le_weight", "must lie in [0, 1]");
  if (threads < 0) throw canveg::InputError("", 0, "threads", "must be 0 (all cores) or more");
  canveg::GradientOptions go;
  go.batch_size = batch_size;
  go.keep_remainder = keep_remainder;
  go.method = canveg::parse_fixed_point_gradient(method, "method");
  go.threads = threads;
  Columns cols = to_columns(columns);
  canveg::ForcingRecord forcing;
  std::vector<std::string> warnings;
  {
    py::gil_scoped_release release;
    forcing = canveg::read_forcing_columns(source, cols, o);
    warnings = check_against_model(forcing, model);
    canveg::check_alignment(observed, forcing.timestamp, source);
  }
  warn_all(warnings);
  const canveg::ParameterSpace space(model);
  std::vector<double> initial = space.values(model);
  return PreparedLoss{std::move(model), space, std::move(initial), std::move(forcing), std::move(observed),
                      canveg::LossSpec{w, canveg::standard_scaler(scaler_source)}, go};
}

}  // namespace

PYBIND11_MODULE(_canveg, m) {
  m.doc() = "canveg's library bindings (use the package canveg, which wraps them for pandas).";

  // canveg.InputError(ValueError): bad input, with the message the command line prints
  // (file, line and field).
  py::register_exception<canveg::InputError>(m, "InputError", PyExc_ValueError);

  py::list outputs;
  for (const auto& f : canveg::kOutputFields)
    outputs.append(py::make_tuple(std::string(f.name), std::string(f.unit), std::string(f.meaning)));
  m.attr("OUTPUT_FIELDS") = outputs;
  py::list forcings;
  for (const auto& f : canveg::kForcingFields)
    forcings.append(py::make_tuple(std::string(f.name), std::string(f.unit), std::string(f.columns), std::string(f.meaning)));
  m.attr("FORCING_FIELDS") = forcings;

  py::class_<canveg::LoadedModel>(m, "Model", "A loaded model (parameters, set-up, networks, dispersion matrix).")
      .def_property_readonly("path", [](const canveg::LoadedModel& l) { return l.path; })
      .def_property_readonly("site_name", [](const canveg::LoadedModel& l) { return l.model.setup.site_name; })
      .def_property_readonly("canopy_layers", [](const canveg::LoadedModel& l) { return l.model.setup.n_can_layers; })
      .def_property_readonly("formulation",
                             [](const canveg::LoadedModel& l) { return canveg::describe_formulation(l.model.setup); })
      .def_property_readonly("trained_le_weight", [](const canveg::LoadedModel& l) { return l.trained_le_weight; })
      .def_property_readonly("reported", [](const canveg::LoadedModel& l) { return reported_dict(l.reported); })
      .def("parameter_names", [](const canveg::LoadedModel& l) { return canveg::ParameterSpace(l.model).names(); })
      .def("parameter_values",
           [](const canveg::LoadedModel& l) { return to_array(canveg::ParameterSpace(l.model).values(l.model)); })
      .def(
          "with_parameters",
          [](const canveg::LoadedModel& l, const std::vector<std::string>& names, const std::vector<double>& values) {
            canveg::LoadedModel copy = l;
            const canveg::ParameterSpace space(copy.model);
            std::vector<double> all = space.values(copy.model);
            for (std::size_t i = 0; i < names.size(); ++i) {
              const auto& n = space.names();
              const auto it = std::find(n.begin(), n.end(), names[i]);
              if (it == n.end()) throw canveg::InputError(l.path, 0, names[i], "not a trained parameter of this model");
              all[static_cast<std::size_t>(it - n.begin())] = values.at(i);
            }
            space.assign(copy.model, all);
            return copy;
          },
          "A copy with some trained parameters (by name) replaced.")
      .def("save", [](const canveg::LoadedModel& l, const std::string& path) { canveg::write_model_json(l, path); },
           "Writes the model as JSON, as canveg train does.");

  m.def("load_model", &load, py::arg("path"), "Reads a model JSON, a site TOML or a neural-network baseline JSON.");

  m.def(
      "read_forcing_file",
      [](const std::string& path, const canveg::LoadedModel* model, const py::dict& options) {
        const canveg::ForcingReadOptions o = read_options(model ? model->forcing_options : canveg::ForcingReadOptions{}, options);
        canveg::ForcingRecord r;
        {
          py::gil_scoped_release release;
          r = canveg::read_forcing_file(path, o);
        }
        return record_dict(r);
      },
      py::arg("path"), py::arg("model") = nullptr, py::arg("options") = py::dict(),
      "Reads a forcing file (CSV or NetCDF) with all checks; the variables in canonical units.");

  m.def(
      "read_forcing_columns",
      [](const std::string& source, const py::list& columns, const canveg::LoadedModel* model, const py::dict& options) {
        return record_dict(
            read_columns(source, columns, read_options(model ? model->forcing_options : canveg::ForcingReadOptions{}, options)));
      },
      py::arg("source"), py::arg("columns"), py::arg("model") = nullptr, py::arg("options") = py::dict(),
      "Reads in-memory forcing columns as the file reader does; the variables in canonical units.");

  m.def(
      "run",
      [](const canveg::LoadedModel& loaded, const std::string& source, const py::list& columns, const py::dict& options,
         int threads, std::optional<std::string> formulation, bool independent, bool diagnostics, bool convergence,
         double converge_tolerance, int max_iterations) {
        if (threads < 0) throw canveg::InputError("", 0, "threads", "must be 0 (all cores) or more");
        if (!(converge_tolerance >= 0.0)) throw canveg::InputError("", 0, "converge", "must be a positive tolerance");
        if (max_iterations < 1) throw canveg::InputError("", 0, "max_iterations", "must be 1 or more");
        canveg::Model<double> model = loaded.model;
        apply_formulation(model.setup, formulation);
        const canveg::ForcingReadOptions o = read_options(loaded.forcing_options, options);
        Columns cols = to_columns(columns);
        canveg::ForcingRecord forcing;
        canveg::RunResult result;
        std::vector<std::string> warnings;
        {
          py::gil_scoped_release release;
          forcing = canveg::read_forcing_columns(source, cols, o);
          cols.clear();
          warnings = check_against_model(forcing, model);
          canveg::RunOptions ro;
          ro.storage_coupling = !independent;
          ro.threads = threads;
          ro.diagnostics = diagnostics;
          ro.convergence = convergence;
          ro.converge_tolerance = converge_tolerance;
          ro.max_iterations = max_iterations;
          result = canveg::run_model(model, forcing, ro);
        }
        warn_all(warnings);
        // The command's column order: outputs, then energy diagnostics, then convergence.
        py::dict out;
        for (std::size_t i = 0; i < canveg::kOutputFields.size(); ++i)
          out[py::str(std::string(canveg::kOutputFields[i].name))] = to_array(result.outputs.series(i));
        if (diagnostics)
          for (std::size_t i = 0; i < canveg::kDiagnosticFields.size(); ++i)
            out[py::str(std::string(canveg::kDiagnosticFields[i].name))] = to_array(result.diagnostics.series(i));
        if (convergence)
          for (std::size_t i = 0; i < canveg::kConvergenceFields.size(); ++i)
            out[py::str(std::string(canveg::kConvergenceFields[i].name))] = to_array(result.convergence.series(i));
        return py::make_tuple(forcing.timestamp, out, canveg::describe_formulation(model.setup), result.seconds,
                              result.iterations, converge_tolerance > 0 ? py::object(py::bool_(result.converged)) : py::none());
      },
      py::arg("model"), py::arg("source"), py::arg("columns"), py::arg("options"), py::arg("threads"),
      py::arg("formulation"), py::arg("independent"), py::arg("diagnostics"), py::arg("convergence"),
      py::arg("converge_tolerance"), py::arg("max_iterations"),
      "Runs the model; (time stamps, {column: values}, formulation, seconds, iterations, converged or None).");
  py::list diagnostic_fields;
  for (const auto& f : canveg::kDiagnosticFields)
    diagnostic_fields.append(py::make_tuple(std::string(f.name), std::string(f.unit), std::string(f.meaning)));
  for (const auto& f : canveg::kConvergenceFields)
    diagnostic_fields.append(py::make_tuple(std::string(f.name), std::string(f.unit), std::string(f.meaning)));
  m.attr("DIAGNOSTIC_FIELDS") = diagnostic_fields;

  m.def("read_flux_csv", [](const std::string& path) { return observed_dict(to_observed(py::str(path))); },
        py::arg("path"), "Reads observed fluxes as canveg run --observed does (gaps interpolated).");

  m.def(
      "evaluate",
      [](const std::vector<std::string>& timestamps, const std::string& predicted_source, const py::dict& predicted,
         const py::object& observed_in) {
        const canveg::ObservedFluxes observed =
            canveg::observations_for_record(to_observed(observed_in), timestamps, predicted_source);
        const std::pair<const char*, const std::vector<double>*> members[] = {
            {"LE", &observed.LE}, {"H", &observed.H}, {"G", &observed.G}, {"Rnet", &observed.Rnet},
            {"GPP", &observed.GPP}, {"NEE", &observed.NEE}, {"Rsoil", &observed.Rsoil}};
        py::dict out;
        for (const auto& [name, obs] : members) {
          if (obs->empty() || !predicted.contains(name)) continue;
          const std::vector<double> p = predicted[name].cast<std::vector<double>>();
          out[name] = metrics_dict(canveg::compute_metrics(p, *obs));
        }
        return out;
      },
      py::arg("timestamps"), py::arg("predicted_source"), py::arg("predicted"), py::arg("observed"),
      "Metrics per flux present in both (JAX-CanVeg's post-processing), after checking the half-hours align.");

  py::class_<PreparedLoss>(m, "LossFunction",
                           "JAX-CanVeg's training loss on data read once, as a function of the trained parameters.")
      .def(py::init([](const canveg::LoadedModel& loaded, const std::string& source, const py::list& columns,
                       const py::dict& options, const py::object& observed, const py::object& scaler,
                       double le_weight, std::size_t batch_size, bool keep_remainder, const std::string& method,
                       int threads, std::optional<std::string> formulation) {
             return prepare_loss(loaded, source, columns, options, observed, scaler, le_weight, batch_size,
                                 keep_remainder, method, threads, formulation);
           }),
           py::arg("model"), py::arg("source"), py::arg("columns"), py::arg("options"), py::arg("observed"),
           py::arg("scaler_observed"), py::arg("le_weight"), py::arg("batch_size"), py::arg("keep_remainder"),
           py::arg("method"), py::arg("threads"), py::arg("formulation"))
      .def_property_readonly("names", [](const PreparedLoss& p) { return p.space.names(); })
      .def_property_readonly("initial", [](const PreparedLoss& p) { return to_array(p.initial); })
      .def_property_readonly("le_weight", [](const PreparedLoss& p) { return p.loss.le_weight; })
      .def_property_readonly("rows", [](const PreparedLoss& p) { return p.forcing.timestamp.size(); })
      .def(
          "value",
          [](const PreparedLoss& p, const py::object& values) {
            const canveg::Model<double> model = p.at(values);
            py::gil_scoped_release release;
            return canveg::loss_value(model, p.forcing, p.observed, p.loss, p.options);
          },
          py::arg("values"), "The loss at these parameter values (a forward run).")
      .def(
          "value_and_gradient",
          [](const PreparedLoss& p, const py::object& values) {
            const canveg::Model<double> model = p.at(values);
            canveg::LossGradient g;
            {
              py::gil_scoped_release release;
              g = canveg::loss_and_gradient(model, p.space, p.forcing, p.observed, p.loss, p.options);
            }
            return py::make_tuple(g.loss, to_array(g.gradient), g.batches, g.rows, g.nonfinite);
          },
          py::arg("values"), "(loss, gradient, batches, rows, non-finite batch gradient components).");

  py::class_<canveg::DnnModel>(m, "DnnModel", "JAX-CanVeg's neural-network baseline (9 forcings -> LE, NEE).")
      .def_property_readonly("path", [](const canveg::DnnModel& d) { return d.path; })
      .def_property_readonly("site_name", [](const canveg::DnnModel& d) { return d.site_name; })
      .def_property_readonly("has_scalers", [](const canveg::DnnModel& d) { return d.has_scalers; })
      .def_property_readonly("trained_le_weight", [](const canveg::DnnModel& d) { return d.trained_le_weight; })
      .def_property_readonly("reported", [](const canveg::DnnModel& d) { return reported_dict(d.reported); });

  m.def(
      "dnn_with_scalers",
      [](const canveg::DnnModel& dnn, const std::string& source, const py::list& columns, const py::dict& options,
         const py::object& observed_in) {
        canveg::DnnModel copy = dnn;
        const canveg::ObservedFluxes observed = to_observed(observed_in);
        const canveg::ForcingRecord forcing = read_columns(source, columns, read_options({}, options));
        py::gil_scoped_release release;
        canveg::check_alignment(observed, forcing.timestamp, source);
        canveg::fit_dnn_scalers(copy, forcing, observed);
        return copy;
      },
      py::arg("model"), py::arg("source"), py::arg("columns"), py::arg("options"), py::arg("observed"),
      "A copy with StandardScaler statistics fitted on the training forcing and fluxes (as canveg run "
      "--scaler-forcing/--scaler-fluxes).");

  m.def(
      "run_dnn",
      [](const canveg::DnnModel& dnn, const std::string& source, const py::list& columns, const py::dict& options) {
        const canveg::ForcingRecord forcing = read_columns(source, columns, read_options({}, options));
        canveg::DnnPrediction p;
        {
          py::gil_scoped_release release;
          p = canveg::run_dnn(dnn, forcing);
        }
        py::dict out;
        out["LE"] = to_array(p.LE);
        out["NEE"] = to_array(p.NEE);
        return py::make_tuple(forcing.timestamp, out);
      },
      py::arg("model"), py::arg("source"), py::arg("columns"), py::arg("options"),
      "LE and NEE of the network for every forcing row; (time stamps, {LE, NEE}).");

  m.def(
      "train",
      [](const canveg::LoadedModel& loaded, const std::string& source, const py::list& columns, const py::dict& options,
         const py::object& observed_in, const py::object& test_source, const py::object& test_columns,
         const py::object& test_observed_in, int epochs, double learning_rate, std::size_t batch_size, double le_weight,
         const std::vector<std::string>& trained, int threads, std::optional<std::string> formulation) {
        canveg::TrainProblem problem;
        problem.initial = loaded;
        apply_formulation(problem.initial.model.setup, formulation);
        const canveg::ForcingReadOptions o = read_options(loaded.forcing_options, options);
        problem.observed = to_observed(observed_in);
        canveg::TrainOptions to;
        if (epochs < 1) throw canveg::InputError("", 0, "epochs", "must be 1 or more");
        to.epochs = epochs;
        to.learning_rate.initial = learning_rate;
        to.loss.le_weight = resolve_le_weight(le_weight, loaded);
        to.gradient.batch_size = batch_size;
        to.gradient.threads = threads;
        to.trained = trained;
        std::optional<canveg::ObservedFluxes> test_observed;
        Columns test_cols;
        if (!test_columns.is_none()) {
          test_cols = to_columns(test_columns.cast<py::list>());
          test_observed = to_observed(test_observed_in);
        }
        Columns cols = to_columns(columns);
        const std::string test_name = test_source.is_none() ? "" : test_source.cast<std::string>();
        canveg::TrainResult r;
        canveg::ForcingRecord test_forcing;
        std::vector<std::string> warnings;
        {
          py::gil_scoped_release release;
          const canveg::Setup& site = problem.initial.model.setup;
          problem.forcing = canveg::read_forcing_columns(source, cols, o);
          warnings = check_against_model(problem.forcing, problem.initial.model);
          if (test_observed) {
            test_forcing = canveg::read_forcing_columns(test_name, test_cols, o);
            for (std::string& w : check_against_site(test_forcing, site)) warnings.push_back(std::move(w));
            problem.test_forcing = &test_forcing;
            problem.test_observed = &*test_observed;
          }
        }
        warn_all(warnings);  // before the training, as the command prints them
        {
          py::gil_scoped_release release;
          r = canveg::train(problem, to);
        }
        py::dict history;
        std::vector<double> epoch, rate, train_loss, test_loss, seconds;
        for (const canveg::EpochRecord& e : r.history) {
          epoch.push_back(e.epoch);
          rate.push_back(e.learning_rate);
          train_loss.push_back(e.train_loss);
          test_loss.push_back(e.test_loss);
          seconds.push_back(e.seconds);
        }
        history["epoch"] = to_array(epoch);
        history["learning_rate"] = to_array(rate);
        history["train_loss"] = to_array(train_loss);
        history["test_loss"] = to_array(test_loss);
        history["seconds"] = to_array(seconds);
        return py::make_tuple(r.model, history, r.stop_reason, r.parameter_names);
      },
      py::arg("model"), py::arg("source"), py::arg("columns"), py::arg("options"), py::arg("observed"),
      py::arg("test_source"), py::arg("test_columns"), py::arg("test_observed"), py::arg("epochs"),
      py::arg("learning_rate"), py::arg("batch_size"), py::arg("le_weight"), py::arg("trained"), py::arg("threads"),
      py::arg("formulation"), "Trains with JAX-CanVeg's procedure (canveg::train); (model, history, stop reason, names).");
}
