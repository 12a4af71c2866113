// Jacobian checks shared by the gradient tests: the same templated function evaluated in double,
// with the reverse tape (one sweep per output), with forward-mode dual numbers (8 directions per
// pass) and with central finite differences (4-point stencil).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ad/forward.hpp"
#include "ad/reverse.hpp"
#include "gradient/kernels.hpp"

namespace canveg::test {

using Dual8 = ad::Dual<8>;

struct JacobianCheck {
  std::vector<double> value;               // f(x) in double
  std::vector<double> reverse, forward, fd;  // [m x n], row-major
  double max_rel_reverse_forward = 0.0;    // over all entries, relative to max(|entry|, 1e-6 max(|row|, |column|))
  double max_rel_fd = 0.0;                 // |fd - reverse| / the same scale
  bool values_identical = true;            // Var and Dual values bit-identical to double
  bool finite = true;                      // every derivative finite
};

// f is a generic callable f(const T* x, T* y) for T in {double, Var, Dual8}; x has n entries,
// y has m. fd_step: relative step of the finite differences (scale max(|x|, fd_floor)).
template <class F>
JacobianCheck check_jacobian(F&& f, const std::vector<double>& x, int m, double fd_step = 1e-5,
                             double fd_floor = 1e-3) {
  const int n = static_cast<int>(x.size());
  JacobianCheck r;
  r.value.assign(m, 0.0);
  f(x.data(), r.value.data());

  // Reverse.
  r.reverse.assign(static_cast<std::size_t>(m) * n, 0.0);
  {
    ad::Tape& tape = ad::thread_tape();
    tape.reset();
    std::vector<ad::Var> xv(n), yv(m);
    for (int i = 0; i < n; ++i) xv[i] = ad::Var::leaf(x[i]);
    f(xv.data(), yv.data());
    for (int o = 0; o < m; ++o) {
      if (std::memcmp(&yv[o].v, &r.value[o], sizeof(double)) != 0) r.values_identical = false;
      if (!yv[o].i) continue;
      tape.zero_adjoints();
      tape.adjoints()[yv[o].i] = 1.0;
      tape.reverse();
      for (int i = 0; i < n; ++i) r.reverse[static_cast<std::size_t>(o) * n + i] = tape.adjoints()[xv[i].i];
    }
  }
  // Forward.
  r.forward.assign(static_cast<std::size_t>(m) * n, 0.0);
  for (int c = 0; c < n; c += 8) {
    std::vector<Dual8> xd(n), yd(m);
    for (int i = 0; i < n; ++i) xd[i] = Dual8::seed(x[i], i - c);
    f(xd.data(), yd.data());
    for (int o = 0; o < m; ++o) {
      if (std::memcmp(&yd[o].v, &r.value[o], sizeof(double)) != 0) r.values_identical = false;
      for (int l = 0; l < 8 && c + l < n; ++l) r.forward[static_cast<std::size_t>(o) * n + c + l] = yd[o].d[l];
    }
  }
  // Finite differences, and their round-off noise ~ eps |y| / h (allowed on top of fd_tol).
  r.fd.assign(static_cast<std::size_t>(m) * n, 0.0);
  std::vector<double> noise(static_cast<std::size_t>(m) * n, 0.0);
  for (int i = 0; i < n; ++i) {
    const double h = fd_step * std::max(std::abs(x[i]), fd_floor);
    for (int o = 0; o < m; ++o)
      noise[static_cast<std::size_t>(o) * n + i] = 50.0 * 2.2e-16 * std::max(std::abs(r.value[o]), 1e-300) / h;
    std::vector<double> xp = x, y1(m), y2(m), y3(m), y4(m);
    xp[i] = x[i] + h, f(xp.data(), y1.data());
    xp[i] = x[i] - h, f(xp.data(), y2.data());
    xp[i] = x[i] + 2 * h, f(xp.data(), y3.data());
    xp[i] = x[i] - 2 * h, f(xp.data(), y4.data());
    for (int o = 0; o < m; ++o)
      r.fd[static_cast<std::size_t>(o) * n + i] = (8.0 * (y1[o] - y2[o]) - (y3[o] - y4[o])) / (12.0 * h);
  }
  std::vector<double> row_max(m, 0.0), col_max(n, 0.0);
  for (int o = 0; o < m; ++o)
    for (int i = 0; i < n; ++i) {
      const double a = std::abs(r.reverse[static_cast<std::size_t>(o) * n + i]);
      row_max[o] = std::max(row_max[o], a);
      col_max[i] = std::max(col_max[i], a);
    }
  for (int o = 0; o < m; ++o) {
    for (int i = 0; i < n; ++i) {
      const std::size_t k = static_cast<std::size_t>(o) * n + i;
      const double a = r.reverse[k], b = r.forward[k], c = r.fd[k];
      if (!std::isfinite(a) || !std::isfinite(b)) r.finite = false;
      // Entries below 1e-6 of the largest entry of their row or column are compared against that
      // floor: they are exact cancellations at the round-off level of the other terms, where a
      // relative error means nothing.
      const double floor = 1e-6 * std::max(row_max[o], col_max[i]);
      if (a != b)
        r.max_rel_reverse_forward = std::max(r.max_rel_reverse_forward, std::abs(a - b) / std::max(std::abs(b), floor));
      const double scale = std::max(std::abs(a), floor);
      if (scale > 0) r.max_rel_fd = std::max(r.max_rel_fd, std::max(0.0, std::abs(c - a) - noise[k]) / scale);
    }
  }
  return r;
}

inline std::string describe(const JacobianCheck& r, int n) {
  std::ostringstream os;
  os.precision(12);
  os << "reverse/forward max rel " << r.max_rel_reverse_forward << ", fd max rel " << r.max_rel_fd << "\n";
  const int m = static_cast<int>(r.value.size());
  for (int o = 0; o < m; ++o)
    for (int i = 0; i < n; ++i) {
      const std::size_t k = static_cast<std::size_t>(o) * n + i;
      os << "  d y" << o << " / d x" << i << ": rev " << r.reverse[k] << " fwd " << r.forward[k] << " fd " << r.fd[k]
         << "\n";
    }
  return os.str();
}

// The standard assertions: values identical, derivatives finite, reverse == forward to 1e-10,
// reverse vs finite differences to fd_tol.
inline ::testing::AssertionResult jacobian_ok(const JacobianCheck& c, int n, double fd_tol) {
  if (!c.values_identical) return ::testing::AssertionFailure() << "taped values differ from double";
  if (!c.finite) return ::testing::AssertionFailure() << "non-finite derivative\n" << describe(c, n);
  if (c.max_rel_reverse_forward > 1e-10)
    return ::testing::AssertionFailure() << "reverse and forward mode differ\n" << describe(c, n);
  if (c.max_rel_fd > fd_tol)
    return ::testing::AssertionFailure() << "reverse and finite differences differ\n" << describe(c, n);
  return ::testing::AssertionSuccess() << "rev/fwd " << c.max_rel_reverse_forward << " fd " << c.max_rel_fd;
}

}  // namespace canveg::test

#define EXPECT_JACOBIAN_OK(check, n, fd_tol) EXPECT_TRUE(::canveg::test::jacobian_ok((check), (n), (fd_tol)))
