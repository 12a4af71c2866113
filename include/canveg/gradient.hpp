// Loss and gradient of the model with respect to the parameters JAX-CanVeg trains
// (docs/gradients.md). This is the interface the training code calls.
//
//   canveg::ParameterSpace space(model);                       // 21 scalars + networks
//   canveg::LossSpec loss{0.5, canveg::standard_scaler(training_fluxes)};
//   canveg::LossGradient g = canveg::loss_and_gradient(model, space, forcing, observed, loss, {});
//   // g.loss, g.gradient[k] = d loss / d space.name(k)
//
// The loss is JAX-CanVeg's: w MSE(LE) + (1 - w) MSE(NEE) on outputs standardised with the scaler
// of the training flux file, computed per batch of contiguous half-hours (the soil storage term
// restarts at every batch, as in a JAX-CanVeg call) and averaged over batches; the gradient is the
// batch mean of the batch gradients (a NaN component of one batch is left out of that
// component's mean, as JAX-CanVeg's `nanmean`).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "canveg/forcing.hpp"
#include "canveg/observations.hpp"
#include "canveg/parameters.hpp"

namespace canveg {

// One differentiable parameter: a scalar of `Parameters` (index into kParameterFields) or one
// weight/bias of a network, flattened as w0, b0, w1, b1, w2, b2 (W row-major [out][in]) and named
// <net>.layers[l].weight[o][i] / <net>.layers[l].bias[o].
struct ParameterRef {
  enum class Kind { Scalar, LeafRhNet, RsoilNet } kind = Kind::Scalar;
  int index = 0;
};

// The parameter vector differentiated for a model: the scalars JAX-CanVeg trains (kParameterFields
// entries with a training rank, in rank order: 21 scalars), then every weight and
// bias of LeafRHDL when the model carries that network (JAX-CanVeg trains it in PB models too,
// where its gradient is exactly zero), then RsoilDL when soil respiration module 2 is selected.
class ParameterSpace {
 public:
  explicit ParameterSpace(const Model<double>& model);
  // An explicit selection (for tests and tools).
  ParameterSpace(const Model<double>& model, std::vector<ParameterRef> refs);

  std::size_t size() const { return refs_.size(); }
  const std::string& name(std::size_t k) const { return names_[k]; }
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<ParameterRef>& refs() const { return refs_; }

  std::vector<double> values(const Model<double>& model) const;
  void assign(Model<double>& model, const std::vector<double>& values) const;

  // Address of parameter k inside a model of any scalar type.
  template <class T>
  T* locate(Model<T>& model, std::size_t k) const;

  // Parameters this model never reads, so that their gradient is identically zero: rd25 (P19),
  // LeafRHDL when the leaf RH module is the physics one, q10a/b/c unless soil respiration module
  // 1, RsoilDL unless module 2. One flag per parameter.
  std::vector<bool> structurally_zero() const;

 private:
  std::vector<ParameterRef> refs_;
  std::vector<std::string> names_;
  LeafRhModule leaf_rh_;
  SoilRespirationModule soil_respiration_;
};

// Standardisation of the outputs (JAX-CanVeg "standard" scaler, docs/model.md 6.3).
struct OutputScaler {
  double le_mean = 0.0, le_std = 1.0;    // [W m-2]
  double nee_mean = 0.0, nee_std = 1.0;  // [umol m-2 s-1]
};

// Mean and population standard deviation of the observed LE and NEE of a (training) flux file.
// Throws InputError when a series is missing or constant.
OutputScaler standard_scaler(const ObservedFluxes& training);

struct LossSpec {
  double le_weight = 0.5;  // w: loss = w MSE(LE) + (1 - w) MSE(NEE), on standardised outputs
  OutputScaler scaler;
};

// How the gradient passes through the 15-iteration fixed point (docs/gradients.md).
enum class FixedPointGradient {
  // Exact derivative of what the forward run computes (every iteration differentiated).
  Unrolled,
  // Implicit-function theorem at the final state: the gradient of the fixed point x = F(x, p),
  // (I - F_x)^T lambda = ..., solved by GMRES with reverse sweeps of one taped iteration.
  Implicit,
  // JAX-CanVeg's CanvegIFT rule for the (LE, NEE) sub-state: one iteration differentiated at the
  // final state with the incoming state held fixed (J = 0, no Neumann terms).
  OneStep,
  // JAX-CanVeg's training gradient exactly, for reproduction: OneStep with the diffuse
  // transmissivity tau_d and the initial state (the soil's initial longwave `llout`) held as
  // non-differentiated inputs, as JAX-CanVeg passes them (docs/gradients.md "Which one matches
  // JAX-CanVeg"). It drops the clumping -> tau_d and ep -> llout paths.
  JaxOneStep,
};

// The method's name on the command line (unrolled, implicit, onestep, onestep-jax) and back;
// parse_fixed_point_gradient throws InputError naming `option` for an unknown name.
const char* fixed_point_gradient_name(FixedPointGradient method);
FixedPointGradient parse_fixed_point_gradient(const std::string& name, const std::string& option);

struct GradientOptions {
  // Contiguous half-hours per batch; the storage term restarts at each batch's first row.
  // 1: independent half-hours (JAX-CanVeg's test-loss convention); 0: the whole record as one
  // batch.
  std::size_t batch_size = 1024;
  // JAX-CanVeg drops the rows after the last full batch from training; true keeps them as a
  // shorter last batch.
  bool keep_remainder = false;
  FixedPointGradient method = FixedPointGradient::Unrolled;
  int implicit_max_sweeps = 400;       // Implicit: adjoint sweeps (Jacobian products) per row at most
  double implicit_tolerance = 1e-10;   // Implicit: GMRES relative residual
  int threads = 0;                     // 0: all hardware threads
  // The double forward solution of each batch (the fixed point the gradient is taken at, and the
  // loss) with half-hours as SIMD lanes, as RunOptions::simd: "auto", an instruction set, or ""
  // (one half-hour at a time).
  std::string simd = "auto";
  // The taped iterations of the unrolled and one-step gradients with the rows of an iteration as
  // the lanes of one recording (docs/gradients.md, "The tape in lanes"), in the instruction set
  // of `simd`; false (or `simd` off, or the implicit method): one row per recording. Both agree to
  // round-off.
  bool lane_tape = true;
};

struct LossGradient {
  double loss = 0.0;               // mean over batches of the batch losses
  std::vector<double> gradient;    // d loss / d parameter, ParameterSpace order
  std::vector<double> gradient_sum;          // per parameter: sum of its finite batch gradients
  std::vector<std::size_t> gradient_count;   // per parameter: number of finite batch gradients
  std::vector<double> batch_loss;  // per batch
  std::size_t rows = 0;            // half-hours used
  std::size_t batches = 0;
  std::size_t nonfinite = 0;       // batch gradient components that were NaN/Inf (left out of the mean)
  double seconds = 0.0;            // wall time
  std::size_t peak_memory_bytes = 0;  // working memory at its peak, all threads (checkpoints, tapes, buffers)
  std::size_t max_tape_nodes = 0;     // largest tape of one taped unit (one column iteration)
  int implicit_sweeps = 0;            // Implicit: most sweeps one row needed
  std::size_t implicit_unconverged = 0;  // Implicit: rows whose linear solve did not converge
};

// Loss and gradient over a forcing record with its observations (rows aligned with the forcing;
// gaps already interpolated, as read_flux_csv does). Throws InputError on mismatched lengths or
// a record shorter than one batch (unless keep_remainder).
LossGradient loss_and_gradient(const Model<double>& model, const ParameterSpace& space,
                               const ForcingRecord& forcing, const ObservedFluxes& observed,
                               const LossSpec& loss, const GradientOptions& options = {});

// The same gradient computed in forward mode with dual numbers (slow: one pass per 8
// parameters); the independent cross-check of the reverse tape. Always unrolled.
LossGradient loss_and_gradient_forward_mode(const Model<double>& model, const ParameterSpace& space,
                                            const ForcingRecord& forcing, const ObservedFluxes& observed,
                                            const LossSpec& loss, const GradientOptions& options = {});

// The loss alone (forward run with the same batching), e.g. for finite differences.
double loss_value(const Model<double>& model, const ForcingRecord& forcing, const ObservedFluxes& observed,
                  const LossSpec& loss, const GradientOptions& options = {});

// ---------------------------------------------------------------------------------------------

template <class T>
T* ParameterSpace::locate(Model<T>& model, std::size_t k) const {
  const ParameterRef& r = refs_[k];
  if (r.kind == ParameterRef::Kind::Scalar) return &parameter_at(model.para, static_cast<std::size_t>(r.index));
  DenseNet<T>& net = r.kind == ParameterRef::Kind::LeafRhNet ? model.leaf_rh_net : model.rsoil_net;
  std::size_t i = static_cast<std::size_t>(r.index);
  for (std::vector<T>* v : {&net.w0, &net.b0, &net.w1, &net.b1, &net.w2, &net.b2}) {
    if (i < v->size()) return v->data() + i;
    i -= v->size();
  }
  return nullptr;
}

}  // namespace canveg
