// Reverse-mode gradient of one batch (docs/gradients.md "Design"):
//
//  1. forward run of the batch in double, in lock-step, checkpointing each column's iterated
//     state before every iteration (unrolled) or only before the last one (implicit, one-step),
//     and each column's initialisation constants once;
//  2. adjoint sweep backwards over iterations; within an iteration the rows are independent
//     given the checkpoints, so each (row, iteration) is taped on its own with a small
//     thread-local tape, its outputs seeded with the adjoint of the row's next state, and the
//     adjoints of its inputs passed to the row's previous state, to the previous row's surface
//     temperature (storage term), to the row's initialisation constants and to the parameters;
//  3. each row's initialisation is taped last, seeded with the adjoints of the initial state
//     and of the constants.
// Working memory is proportional to the batch size (checkpoints: niter x iterated state per row,
// about 4 KB per row-iteration at 50 layers) and independent of the record length.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "ad/reverse.hpp"
#include "canveg/gradient.hpp"
#include "gradient/batch_loss.hpp"
#include "gradient/kernels.hpp"
#include "gradient/lane_iteration_tape.hpp"
#include "run/lane_solver.hpp"

namespace canveg::gradient {

using ad::Var;

// What one worker thread shares with the others (read only).
struct SharedProblem {
  const Model<double>* model = nullptr;
  const ParameterSpace* space = nullptr;
  const ForcingRecord* forcing = nullptr;
  const ObservedFluxes* observed = nullptr;
  LossSpec loss;
  GradientOptions options;
  std::vector<double> dij_t;
  physics::ColumnModel<double> cm;  // points into *model and dij_t
  run::LaneSolver lanes;            // the double forward's, or none (options.simd)
};

struct BatchGradient {
  double loss = 0.0;
  std::vector<double> gradient;  // ParameterSpace order
  int implicit_sweeps = 0;
};

class ReverseEngine {
 public:
  explicit ReverseEngine(const SharedProblem& problem);
  ReverseEngine(const ReverseEngine&) = delete;
  ReverseEngine& operator=(const ReverseEngine&) = delete;

  // Gradient of the loss of rows [begin, begin + n) as one batch.
  void run_batch(std::size_t begin, std::size_t n, bool independent, BatchGradient& out);

  std::size_t peak_bytes() const { return peak_bytes_; }
  std::size_t max_tape_nodes() const { return max_tape_nodes_; }
  std::size_t implicit_unconverged() const { return unconverged_; }

 private:
  // Double forward of a batch, checkpointing before every iteration (all_checkpoints) or before
  // the last; without last_iteration (the one-step rule) it stops before the last iteration, whose
  // LE and NEE the taped iteration then gives (reverse_fixed_point).
  void forward(std::size_t begin, std::size_t n, bool independent, bool all_checkpoints, bool last_iteration = true);
  // Tapes iteration of one row from (constants, state, previous-row surface); leaves: parameters
  // first (param_first_), then constants (const_first_), then state (state_first_), then the
  // surface (surface_leaf_, 0 when the row has no previous row). `fluxes_only` (the one-step
  // rule, which holds the state): the state and the surface enter as constants and the iteration
  // stops at LE and NEE (iterate_column's IterationScope::LeAndNee), so the tape holds only what
  // carries the parameters' adjoints to LE and NEE; there are then no state leaves.
  void tape_iteration(std::size_t row, const double* state, bool has_previous, double previous_surface,
                      bool fluxes_only = false);
  void tape_initialisation(std::size_t row);
  void bind_parameter_leaves();
  void seed_outputs(const double* state_adjoint, const double* d_le, const double* d_nee, std::size_t row);
  void collect_parameters(double* gradient) const;
  void reverse_unrolled(std::size_t n, bool independent, double* gradient);
  // The same with the rows of each iteration taped W at a time (lane_tape_).
  void reverse_unrolled_lanes(std::size_t n, bool independent, double* gradient);
  // Rows [first, first + count) of the batch for one lane recording, from the iterated states
  // `states` ([n][S], one checkpoint) and the packed constants (pack_constants).
  LaneRows lane_rows(std::size_t first, std::size_t count, const double* states, bool independent) const;
  // The lane tape's constants: packed lane-major (packed_constants_, adjoints zeroed), and their
  // adjoints back into adj_const_.
  void pack_constants(std::size_t n, std::size_t W);
  void unpack_constant_adjoints(std::size_t n, std::size_t W);
  // The one-step rule (OneStep, JaxOneStep) with the rows taped W at a time.
  void reverse_one_step_lanes(std::size_t n, bool independent, const double* le_obs, const double* nee_obs,
                              double* gradient);
  int reverse_fixed_point(std::size_t n, bool independent, bool one_step, const double* le_obs,
                          const double* nee_obs, double* gradient);
  bool gmres(const std::function<void(const double*, double*)>& apply, const double* b, double* x);
  // state_adjoint: the adjoints of the rows' initial states ([n][S], rows order; unrolled), or null.
  void reverse_initialisation(std::size_t n, const double* state_adjoint, double* gradient);
  void note_memory();

  const SharedProblem& p_;
  int J_, N_, niter_;
  std::size_t S_, C_, P_, surface_;
  std::size_t clumping_;  // position of leaf_clumping_factor in the space, P_ when absent

  // Double forward.
  run::LockstepColumns<double> cols_;
  std::vector<RowHeader> headers_;
  std::vector<double> constants_;    // [n][C]
  std::vector<double> checkpoints_;  // [n_ckpt][n][S]
  std::vector<double> le_, nee_, d_le_, d_nee_;

  // Adjoints.
  std::vector<double> adj_next_, adj_prev_, adj_const_, lambda_, lambda_new_;
  std::vector<double> adj_init_, coupling_, coupling_before_;  // reverse_unrolled_lanes
  std::vector<double> packed_constants_, packed_constant_adjoints_;  // [vector][C][W] (the lane tape)
  std::vector<char> passthrough_;
  std::vector<double> krylov_;

  // Taped column.
  Model<Var> model_v_;
  physics::ColumnModel<Var> cm_v_;
  std::vector<double> dij_t_;
  std::vector<Var> buffer_v_;
  physics::ColumnState<Var> s_v_;
  Var le_v_, nee_v_;  // the taped iteration's LE and NEE (physics::column_le / column_nee)
  std::vector<Var*> param_ptr_;
  std::vector<double> param_value_;
  ad::Index param_first_ = 0, const_first_ = 0, state_first_ = 0, surface_leaf_ = 0;

  // The lane-taped iteration (GradientOptions::lane_tape), or null.
  std::unique_ptr<LaneIterationTape> lane_tape_;

  std::size_t peak_bytes_ = 0, max_tape_nodes_ = 0, unconverged_ = 0;
};

}  // namespace canveg::gradient
