// Internal helpers of the neural-network baseline (include/canveg/dnn.hpp): its inputs, the
// standardised data it trains on, and the single-precision copy of its network.
#pragma once

#include <array>

#include "canveg/dnn.hpp"
#include "dnn/dnn_loss.hpp"

namespace canveg::dnn {

// The network inputs of one forcing row, after JAX-CanVeg's load-time guards (wind >= 0.75 m/s,
// u* >= 0.1 m/s, Rg >= 0: subjects/initialization_update.py::initialize_met).
std::array<double, kDnnInputs> guarded_inputs(const ForcingRecord& forcing, std::size_t row);

// The inputs standardised with the model's scalers, in single precision as scikit-learn's
// transform leaves JAX-CanVeg's float32 arrays, and, with `fluxes`, the outputs (LE, NEE) likewise.
// The model must have scalers.
StandardisedData<float> standardise(const DnnModel& model, const ForcingRecord& forcing,
                                    const ObservedFluxes* fluxes = nullptr);

// The network in single precision (as JAX-CanVeg trained and ran it), and back (exactly).
DenseNet<float> single_precision(const DenseNet<double>& net);
DenseNet<double> double_precision(const DenseNet<float>& net);

}  // namespace canveg::dnn
