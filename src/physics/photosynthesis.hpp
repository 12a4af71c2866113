// Farquhar C3 photosynthesis coupled with Ball-Berry stomatal conductance, solved with the
// analytical cubic of Baldocchi (1994) (docs/model.md 2.11; Farquhar et al. 1980, Harley &
// Baldocchi 1995, Collatz et al. 1991; JAX-CanVeg `leaf_ps`). Pitfall P11 lists the branches
// reproduced here exactly.
#pragma once

#include "canveg/parameters.hpp"
#include "physics/common.hpp"

namespace canveg::physics {

template <class T>
struct LeafPhotosynthesis {
  T net_assimilation;  // A_n [umol m-2 s-1]
  T gs_m_s;            // stomatal conductance to water vapour [m s-1]
  T dark_respiration;  // R_d [umol m-2 s-1]
  T ci;                // internal CO2 [ppm]
  T leaf_rh;           // min(rh, 1) used by Ball-Berry [-]
};

// Arrhenius temperature function: k25 exp((T - T25) E / (T25 R T)).
template <class T>
CANVEG_HD inline T arrhenius(const T& rate25, const T& activation, const T& t_minus_25, const T& rugc,
                             const T& t25, const T& t_leaf) {
  return rate25 * exp(t_minus_25 * activation / (t25 * rugc * t_leaf));
}

// Peaked (Boltzmann) temperature function, equal to rate_opt at t_opt (JAX `tboltz`).
template <class T>
CANVEG_HD inline T peaked_temperature(const T& rate_opt, const T& activation, const T& t_opt,
                                      const T& rugc, const T& hkin, const T& t_leaf) {
  const T dt = t_leaf - t_opt;
  const T prod = rugc * t_opt * t_leaf;
  const T dt_prod = dt / prod;
  const T numerator = rate_opt * hkin * exp(activation * dt_prod);
  const T denominator = hkin - activation * (1.0 - exp(hkin * dt_prod));
  return numerator / denominator;
}

// CO2/O2 specificity factor tau (Roupsard et al. 1996), t_c in degC.
template <class T>
CANVEG_HD inline T co2_o2_specificity(const T& t_c) {
  const T t2 = t_c * t_c;
  const T t3 = t2 * t_c;
  const T kh_co2 = 78.5e-3 + -2.89e-3 * t_c + 54.7e-6 * t2 + -0.417e-6 * t3;
  const T kh_o2 = 2.1e-3 + -57.1e-6 * t_c + 1.024e-6 * t2 + -7.503e-9 * t3;
  return 102.0 * kh_co2 / kh_o2;
}

// Leaf dark respiration R_d [umol m-2 s-1]: arr(0.004657 V_opt, E_rd), inhibited to 40 % by light.
template <class T>
CANVEG_HD inline T dark_respiration(const T& par_absorbed, const T& t_leaf, const Parameters<T>& p) {
  const T rd = arrhenius(T(p.vcopt * 0.004657), p.erd, T(t_leaf - p.tk_25), p.rugc, p.tk_25, t_leaf);
  return where(par_absorbed > 10.0, T(rd * 0.4), rd);
}

// Whether every leaf (of a vector of half-hours) is without light and respires (R_d > 0): then
// J = 0 makes the Wj of any finite c_i zero, below R_d, so leaf_photosynthesis gives its dark
// fallback, which reads neither the cubic nor the leaf humidity. The test reads values only: an
// automatic-differentiation type skips the same work, its derivatives being those of the fallback
// that the whole path would select. `rd()` gives R_d; it is called only for a vector without
// light, so that lit leaves, most of the work, pay nothing for the test.
template <class T, class DarkRespiration>
CANVEG_HD inline bool dark_everywhere(const T& par_absorbed, const DarkRespiration& rd) {
  return !any_lane(value_of(par_absorbed) != 0.0) && !any_lane(value_of(rd()) <= 0.0);
}

// Inputs: absorbed PAR [umol m-2 s-1], layer CO2 [ppm], leaf temperature [K], CO2 boundary-layer
// resistance [s m-1], pressure [kPa], leaf relative humidity rh (physics: e_a/e_s(T_L), or the
// LeafRHDL network), amphistomatous flag.
// Divisions are the vector unit's slowest arithmetic (a vector of 8 doubles divides in about 8
// cycles, multiplies in 1; docs/performance.md, "Fewer divisions"), so a division by a constant is
// a multiplication by its reciprocal, x / g_b is x r_b, and the cubic's three coefficients share
// one reciprocal of their denominator: the equations of JAX-CanVeg, rounded differently in the
// last bit. gradient/kernels.hpp (ps_forward) repeats these operations in this order.
template <class T>
CANVEG_HD LeafPhotosynthesis<T> leaf_photosynthesis(const T& par_absorbed, const T& ca, const T& t_leaf,
                                                    const T& rb_co2, const RowValue<T>& pressure_kpa, const T& rh,
                                                    bool amphistomatous, const Parameters<T>& p,
                                                    bool single_dark_respiration = false) {
  using V = RowValue<T>;
  const V pstat273 = 101.3 * 0.022624 / (273.15 * pressure_kpa);
  const T t_leaf_c = t_leaf - 273.15;
  const T tprime25 = t_leaf - p.tk_25;
  const T kct = arrhenius(p.kc25, p.ekc, tprime25, p.rugc, p.tk_25, t_leaf);
  const T tau = co2_o2_specificity(t_leaf_c);
  const T ko25_pa = p.ko25 * 100.0;
  const T o2_pa = p.o2 * 101.3;
  const T bc = kct * (1.0 + o2_pa / ko25_pa);
  const T gammac = 500.0 * p.o2 / tau;  // CO2 compensation point [ppm]
  const T rd = dark_respiration(par_absorbed, t_leaf, p);
  const T jmax = peaked_temperature(p.jmopt, p.ejm, p.toptjm, p.rugc, p.hkin, t_leaf);
  const T vcmax = peaked_temperature(p.vcopt, p.evc, p.toptvc, p.rugc, p.hkin, t_leaf);

  const T rb_mole = rb_co2 * t_leaf * pstat273;
  const T gb_mole = 1.0 / rb_mole;
  const T dd = gammac;
  const T b8_dd = 8.0 * dd;
  const T k_rh = rh * p.kball * (1.0 / 1.6);  // Ball-Berry slope for CO2
  const T gb_k_rh = gb_mole * k_rh;
  const T bprime16 = p.bprime * (1.0 / 1.6);
  const T ci_guess = ca * 0.7;

  // Coefficients of the coupled Farquhar / Ball-Berry / diffusion system.
  T alpha_ps, bbeta, gamma, theta_ps;
  if (!amphistomatous) {
    alpha_ps = 1.0 + (bprime16 * rb_mole) - k_rh;
    bbeta = ca * (gb_k_rh - 2.0 * bprime16 - gb_mole);
    gamma = ca * ca * gb_mole * bprime16;
    theta_ps = gb_k_rh - bprime16;
  } else {
    alpha_ps = 1.0 + (bprime16 * rb_mole) - k_rh;
    bbeta = ca * (2.0 * gb_k_rh - 3.0 * bprime16 - 2.0 * gb_mole);
    gamma = ca * ca * gb_mole * bprime16 * 4.0;
    theta_ps = 2.0 * gb_k_rh - 2.0 * bprime16;
  }

  const T j_photon = p.qalpha * par_absorbed /
                     sqrt(1.0 + (p.qalpha * p.qalpha * par_absorbed * par_absorbed / (jmax * jmax)));
  T wj = j_photon * (ci_guess - dd) / (4.0 * ci_guess + b8_dd);
  T wc = vcmax * (ci_guess - dd) / (ci_guess + bc);
  // Limitation chosen with ci = 0.7 ca: electron transport (a, B, E) = (J, 8 Gamma*, 4),
  // else Rubisco (Vcmax, Kc(1 + O/Ko), 1).
  const auto electron_limited = wj < wc;
  const T B_ps = where(electron_limited, b8_dd, bc);
  const T a_ps = where(electron_limited, j_photon, vcmax);
  const V E_ps = where(electron_limited, V(4.0), V(1.0));
  // Dark / negative-photosynthesis fallback: stomata at the intercept and a quadratic for A_n,
  // with (a, B, E) from the first limitation choice. Used below where the ci-based Wj, Wc do not
  // exceed R_d.
  struct DarkSolution {
    T gs_m_s, aphoto, ci;
  };
  const auto dark_solution = [&] {
    const T gs_mole = p.bprime;
    const T gs_co2_q = gs_mole * (1.0 / 1.6);
    const T ps_1 = ca * gb_mole * gs_co2_q;
    const T delta_1 = gs_co2_q + gb_mole;
    const T den = gb_mole * gs_co2_q;
    const T a_q = delta_1 * E_ps;
    const T b_q = -ps_1 * E_ps - a_ps * delta_1 + E_ps * rd * delta_1 - B_ps * den;
    const T c_q = a_ps * ps_1 - a_ps * dd * den - E_ps * rd * ps_1 - rd * B_ps * den;
    const T product = floor_at(T(b_q * b_q - 4.0 * a_q * c_q), 0.0);
    const T aphoto_q = (-b_q - sqrt_nonneg(product)) / (2.0 * a_q);
    const T cs_q = ca - aphoto_q * rb_mole;
    return DarkSolution{T(gs_mole * t_leaf * pstat273), aphoto_q, T(cs_q - aphoto_q / gs_co2_q)};
  };
  // Leaves without light (every half-hour of the vector at night): the fallback replaces whatever
  // the cubic gives, wherever that is finite, so the cubic and the co-limitation are skipped (bit
  // for bit the same outputs, as checked on the reproduction runs, and the same derivatives, as
  // checked against the whole path taken at PAR = 1e-300).
  if (dark_everywhere(par_absorbed, [&] { return rd; })) {
    const DarkSolution d = dark_solution();
    LeafPhotosynthesis<T> out;
    out.net_assimilation = d.aphoto;
    out.gs_m_s = d.gs_m_s;
    out.dark_respiration = rd;
    out.ci = d.ci;
    out.leaf_rh = cap_at(rh, 1.0);
    return out;
  }

  const T inv_denom = 1.0 / (E_ps * alpha_ps);
  const T gamma_ca = gamma / ca;
  const T Pcube = (E_ps * bbeta + B_ps * theta_ps - a_ps * alpha_ps + E_ps * rd * alpha_ps) * inv_denom;
  const T Qcube = (E_ps * gamma + (B_ps * gamma_ca) - a_ps * bbeta + a_ps * dd * theta_ps +
                   E_ps * rd * bbeta + rd * B_ps * theta_ps) * inv_denom;
  const T Rcube = (-a_ps * gamma + a_ps * dd * gamma_ca + E_ps * rd * gamma + rd * B_ps * gamma_ca) * inv_denom;

  // Trigonometric roots (Numerical Recipes) with JAX-CanVeg's stabilising clips.
  const T P2 = Pcube * Pcube;
  const T P3 = P2 * Pcube;
  T Q = (P2 - 3.0 * Qcube) * (1.0 / 9.0);
  const T R = (2.0 * P3 - 9.0 * Pcube * Qcube + 27.0 * Rcube) * (1.0 / 54.0);
  const T rr = R * R;
  T qqq = Q * Q * Q;
  const T tstroots = qqq - rr;
  qqq = floor_at(qqq, 0.01);
  T arg_u = R / sqrt(qqq);
  arg_u = clip(arg_u, -0.99, 0.99);
  const T ang_l = acos(arg_u);
  Q = floor_at(Q, 0.01);
  const T sqrt_q = sqrt(Q);
  T root1 = 0.0, root2 = 0.0, root3 = 0.0;
  const auto three_roots = tstroots > 0.0;
  if (any_lane(three_roots)) {
    // cos((angle +- 2 pi) / 3) = cos(angle / 3) cos(2 pi / 3) -+ sin(angle / 3) sin(2 pi / 3):
    // one sine and cosine instead of three cosines.
    T sin_third, cos_third;
    sin_cos(T(ang_l * (1.0 / 3.0)), sin_third, cos_third);
    const T cos_plus = cos_third * kCosThirdTwoPiCubic - sin_third * kSinThirdTwoPiCubic;
    const T cos_minus = cos_third * kCosThirdTwoPiCubic + sin_third * kSinThirdTwoPiCubic;
    root1 = where(three_roots, T(-2.0 * sqrt_q * cos_third - Pcube * (1.0 / 3.0)), root1);
    root2 = where(three_roots, T(-2.0 * sqrt_q * cos_plus - Pcube * (1.0 / 3.0)), root2);
    root3 = where(three_roots, T(-2.0 * sqrt_q * cos_minus - Pcube * (1.0 / 3.0)), root3);
  }
  // Sort the three roots (compare and swap).
  const auto sort_pair = [](T& a, T& b) {
    const auto swap = b < a;
    const T smaller = where(swap, b, a);
    b = where(swap, a, b);
    a = smaller;
  };
  T lo = root1, mid = root2, hi = root3;
  sort_pair(lo, mid);
  sort_pair(mid, hi);
  sort_pair(lo, mid);
  T aphoto = where(lo > 0.0 && mid > 0.0 && hi > 0.0, lo,
                   where(lo < 0.0 && mid < 0.0 && hi > 0.0, hi,
                         where(lo < 0.0 && mid > 0.0 && hi > 0.0, mid,
                               where(lo < 0.0 && mid < 0.0 && hi < 0.0, hi, lo))));

  // JAX-CanVeg subtracts R_d from the root although the cubic already includes it (kept by
  // default for reproduction; single_dark_respiration is the corrected behaviour).
  if (!single_dark_respiration) aphoto = aphoto - rd;
  const T j_sucrose = vcmax * 0.5 - rd;
  aphoto = where(j_sucrose < aphoto, j_sucrose, aphoto);

  const T cs = amphistomatous ? T(ca - aphoto * rb_mole * 0.5) : T(ca - aphoto * rb_mole);
  const T rh_capped = cap_at(rh, 1.0);
  T gs_leaf_mole = (p.kball * rh_capped * aphoto / cs) + p.bprime;
  T gs_m_s = gs_leaf_mole * t_leaf * pstat273;
  T gs_co2 = gs_leaf_mole * (1.0 / 1.6);
  T ci = cs - aphoto / gs_co2;

  // Co-limitation: smoothed minimum of Wj, Wc (theta 0.98) and of that with the sucrose limit
  // (0.95). Replaces A_n when 0 < A_ps < A_n; ci keeps its value (P11).
  wj = j_photon * (ci - dd) / (4.0 * ci + b8_dd);
  wc = vcmax * (ci - dd) / (ci + bc);
  {
    const double a = 0.98;
    const T b = -(wj + wc);
    const T c = wj * wc;
    const T disc = sqrt_nonneg(T(b * b - 4.0 * a * c));
    const T wp = min_of(T((-b + disc) * (0.5 / a)), T((-b - disc) * (0.5 / a)));
    const double aa = 0.95;
    const T bb = -(wp + j_sucrose);
    const T cc = wp * j_sucrose;
    const T disc2 = sqrt_nonneg(T(bb * bb - 4.0 * aa * cc));
    const T aps = min_of(T((-bb + disc2) * (0.5 / aa)), T((-bb - disc2) * (0.5 / aa)));
    const auto colimited = aps < aphoto && aps > 0.0;
    if (any_lane(colimited)) {
      const T aphoto_c = aps - rd;
      const T gs_leaf_mole_c = (p.kball * rh_capped * aphoto_c / cs) + p.bprime;
      aphoto = where(colimited, aphoto_c, aphoto);
      gs_leaf_mole = where(colimited, gs_leaf_mole_c, gs_leaf_mole);
      gs_m_s = where(colimited, T(gs_leaf_mole_c * t_leaf * pstat273), gs_m_s);
    }
  }

  // The fallback where the ci-based Wj or Wc does not exceed R_d.
  const auto dark = wj <= rd || wc <= rd;
  if (any_lane(dark)) {
    const DarkSolution d = dark_solution();
    gs_m_s = where(dark, d.gs_m_s, gs_m_s);
    aphoto = where(dark, d.aphoto, aphoto);
    ci = where(dark, d.ci, ci);
  }

  LeafPhotosynthesis<T> out;
  out.net_assimilation = aphoto;
  out.gs_m_s = gs_m_s;
  out.dark_respiration = rd;
  out.ci = ci;
  out.leaf_rh = rh_capped;
  return out;
}

}  // namespace canveg::physics
