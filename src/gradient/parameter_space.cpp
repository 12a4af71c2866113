// The parameter vector of the gradient (include/canveg/gradient.hpp) and the output scaler.
#include <cmath>
#include <stdexcept>

#include "canveg/errors.hpp"
#include "canveg/gradient.hpp"
#include "canveg/metrics.hpp"

namespace canveg {

namespace {

// Names of a network's flattened weights: <net>.layers[l].weight[o][i] and .bias[o] (no commas,
// so they need no quoting in CSV), the JSON
// layout of shared/data/jax-canveg-trained (mlps.<net>.layers[l]).
void network_names(const DenseNet<double>& net, const std::string& prefix, std::vector<std::string>& out) {
  const int sizes[4] = {net.in_size, net.width, net.width, net.out_size};
  for (int l = 0; l < 3; ++l) {
    const int n_in = sizes[l], n_out = sizes[l + 1];
    for (int o = 0; o < n_out; ++o)
      for (int i = 0; i < n_in; ++i)
        out.push_back(prefix + ".layers[" + std::to_string(l) + "].weight[" + std::to_string(o) + "][" +
                      std::to_string(i) + "]");
    for (int o = 0; o < n_out; ++o)
      out.push_back(prefix + ".layers[" + std::to_string(l) + "].bias[" + std::to_string(o) + "]");
  }
}

std::size_t network_size(const DenseNet<double>& net) {
  return net.w0.size() + net.b0.size() + net.w1.size() + net.b1.size() + net.w2.size() + net.b2.size();
}

std::vector<ParameterRef> default_refs(const Model<double>& model) {
  std::vector<ParameterRef> refs;
  for (std::size_t index : kTrainedParameterIndices)
    refs.push_back({ParameterRef::Kind::Scalar, static_cast<int>(index)});
  if (!model.leaf_rh_net.empty())
    for (std::size_t k = 0; k < network_size(model.leaf_rh_net); ++k)
      refs.push_back({ParameterRef::Kind::LeafRhNet, static_cast<int>(k)});
  if (model.setup.soil_respiration == SoilRespirationModule::Network && !model.rsoil_net.empty())
    for (std::size_t k = 0; k < network_size(model.rsoil_net); ++k)
      refs.push_back({ParameterRef::Kind::RsoilNet, static_cast<int>(k)});
  return refs;
}

}  // namespace

ParameterSpace::ParameterSpace(const Model<double>& model) : ParameterSpace(model, default_refs(model)) {}

ParameterSpace::ParameterSpace(const Model<double>& model, std::vector<ParameterRef> refs)
    : refs_(std::move(refs)), leaf_rh_(model.setup.leaf_rh), soil_respiration_(model.setup.soil_respiration) {
  std::vector<std::string> leaf_names, rsoil_names;
  if (!model.leaf_rh_net.empty()) network_names(model.leaf_rh_net, "LeafRHDL", leaf_names);
  if (!model.rsoil_net.empty()) network_names(model.rsoil_net, "RsoilDL", rsoil_names);
  for (const ParameterRef& r : refs_) {
    switch (r.kind) {
      case ParameterRef::Kind::Scalar:
        if (r.index < 0 || r.index >= static_cast<int>(kParameterCount)) throw std::out_of_range("parameter index");
        names_.emplace_back(kParameterFields[static_cast<std::size_t>(r.index)].name);
        break;
      case ParameterRef::Kind::LeafRhNet:
        if (r.index < 0 || r.index >= static_cast<int>(leaf_names.size()))
          throw InputError("model", 0, "LeafRHDL", "network weight index outside the network");
        names_.push_back(leaf_names[static_cast<std::size_t>(r.index)]);
        break;
      case ParameterRef::Kind::RsoilNet:
        if (r.index < 0 || r.index >= static_cast<int>(rsoil_names.size()))
          throw InputError("model", 0, "RsoilDL", "network weight index outside the network");
        names_.push_back(rsoil_names[static_cast<std::size_t>(r.index)]);
        break;
    }
  }
}

std::vector<double> ParameterSpace::values(const Model<double>& model) const {
  Model<double>& m = const_cast<Model<double>&>(model);  // locate() does not modify
  std::vector<double> v(size());
  for (std::size_t k = 0; k < size(); ++k) v[k] = *locate(m, k);
  return v;
}

void ParameterSpace::assign(Model<double>& model, const std::vector<double>& values) const {
  if (values.size() != size()) throw std::invalid_argument("ParameterSpace::assign: wrong number of values");
  for (std::size_t k = 0; k < size(); ++k) *locate(model, k) = values[k];
}

std::vector<bool> ParameterSpace::structurally_zero() const {
  std::vector<bool> zero(size(), false);
  for (std::size_t k = 0; k < size(); ++k) {
    const ParameterRef& r = refs_[k];
    switch (r.kind) {
      case ParameterRef::Kind::Scalar: {
        const std::string& n = names_[k];
        if (n == "rd25" || n == "theta_min" || n == "theta_max") zero[k] = true;
        if ((n == "q10a" || n == "q10b" || n == "q10c") && soil_respiration_ != SoilRespirationModule::Q10)
          zero[k] = true;
        break;
      }
      case ParameterRef::Kind::LeafRhNet: zero[k] = leaf_rh_ != LeafRhModule::Network; break;
      case ParameterRef::Kind::RsoilNet: zero[k] = soil_respiration_ != SoilRespirationModule::Network; break;
    }
  }
  return zero;
}

OutputScaler standard_scaler(const ObservedFluxes& training) {
  const Standardisation le = standardisation_of(training.LE, training.source, "LE");
  const Standardisation nee = standardisation_of(training.NEE, training.source, "NEE");
  return OutputScaler{le.mean, le.std, nee.mean, nee.std};
}

const char* fixed_point_gradient_name(FixedPointGradient method) {
  switch (method) {
    case FixedPointGradient::Unrolled: return "unrolled";
    case FixedPointGradient::Implicit: return "implicit";
    case FixedPointGradient::OneStep: return "onestep";
    case FixedPointGradient::JaxOneStep: return "onestep-jax";
  }
  return "?";
}

FixedPointGradient parse_fixed_point_gradient(const std::string& name, const std::string& option) {
  for (FixedPointGradient m : {FixedPointGradient::Unrolled, FixedPointGradient::Implicit, FixedPointGradient::OneStep,
                               FixedPointGradient::JaxOneStep})
    if (name == fixed_point_gradient_name(m)) return m;
  throw InputError("", 0, option, "unknown method '" + name + "' (unrolled, implicit, onestep, onestep-jax)");
}

}  // namespace canveg
