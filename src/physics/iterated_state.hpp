// What a column carries from one fixed-point iteration to the next (the iterated state), as a flat
// list of scalars in a fixed order: checkpoints of the gradient (src/gradient/column_state_io.hpp,
// docs/gradients.md "Checkpoints") and the lane solver's copy of them.
#pragma once

#include <cstddef>

#include "physics/column_solver.hpp"

namespace canveg::physics {

// Length of the list.
inline std::size_t iterated_size(int J, int N) {
  return static_cast<std::size_t>(2 * (J + 1) + 2 * J + kSoilNodes + 3 * N + 4);
}
// Position of the soil surface temperature in the iterated list.
inline std::size_t surface_index(int J, int N) {
  return static_cast<std::size_t>(2 * (J + 1) + 2 * J + kSoilNodes + 3 * N);
}

// Calls f on every iterated scalar of s, in the list's order.
template <class T, class F>
void visit_iterated(ColumnState<T>& s, F&& f) {
  const int J = s.J, N = s.N;
  for (int l = 0; l <= J; ++l) f(s.ir_down[l]);
  for (int l = 0; l <= J; ++l) f(s.ir_up[l]);
  for (int j = 0; j < J; ++j) f(s.sun.t_leaf[j]);
  for (int j = 0; j < J; ++j) f(s.shade.t_leaf[j]);
  for (int k = 0; k < kSoilNodes; ++k) f(s.t_soil[k]);
  for (int i = 0; i < N; ++i) f(s.t_air[i]);
  for (int i = 0; i < N; ++i) f(s.e_air[i]);
  for (int i = 0; i < N; ++i) f(s.co2[i]);
  f(s.t_surface);  // surface_index()
  f(s.zl);
  f(s.veg_ps);
  f(s.veg_rd);
}

}  // namespace canveg::physics
