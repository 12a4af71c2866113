// Model parameters (JAX-CanVeg `Para`, docs/model.md section 4.2), the static set-up, the
// neural-network weights and the normalisation statistics. Templated on the scalar type so the
// same struct carries doubles for a forward run and active variables for gradients.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "canveg/fields.hpp"

namespace canveg {

// Scalar parameters read by the physics, one member per line of CANVEG_PARAMETER_FIELDS
// (include/canveg/fields.hpp: name, default, unit, meaning, training bounds). Defaults are
// JAX-CanVeg's (the legacy alfalfa set), used when no trained model file is given.
template <class T>
struct Parameters {
#define CANVEG_PARAMETER_MEMBER(name, default_value, ...) T name = default_value;
  CANVEG_PARAMETER_FIELDS(CANVEG_PARAMETER_MEMBER)
#undef CANVEG_PARAMETER_MEMBER
};

// The members of Parameters in table order (kParameterFields), for access by index.
template <class T>
inline constexpr std::array<T Parameters<T>::*, kParameterCount> kParameterMembers = {
#define CANVEG_PARAMETER_POINTER(name, ...) &Parameters<T>::name,
    CANVEG_PARAMETER_FIELDS(CANVEG_PARAMETER_POINTER)
#undef CANVEG_PARAMETER_POINTER
};

// The i-th scalar parameter (order of kParameterFields).
template <class T>
T& parameter_at(Parameters<T>& p, std::size_t i) {
  return p.*kParameterMembers<T>[i];
}
template <class T>
const T& parameter_at(const Parameters<T>& p, std::size_t i) {
  return p.*kParameterMembers<T>[i];
}

enum class Activation { Tanh, Sigmoid, Softplus, Identity };

// A dense network of three affine layers (in -> width -> width -> out) as JAX-CanVeg's MLP/MLP2:
// h = act(W x + b) with W stored [out][in] row-major.
template <class T>
struct DenseNet {
  int in_size = 0;
  int width = 0;
  int out_size = 0;
  Activation hidden = Activation::Tanh;
  Activation final = Activation::Sigmoid;
  std::vector<T> w0, b0, w1, b1, w2, b2;
  bool empty() const { return w0.empty(); }
};

// Statistics of the training forcing and flux files stored inside a model (JAX `VarStats`).
struct VarStats {
  double T_air = 0, rglobal = 0, eair = 0, wind = 0, CO2 = 0, P_kPa = 0, ustar = 0, Tsoil = 0,
         soilmoisture = 0, zcanopy = 0, lai = 0, rsoil = 0, LE = 0, H = 0, vpd = 0;
};

enum class StomataType { Hypostomatous = 0, Amphistomatous = 1 };
enum class LeafRhModule { Physics = 0, Network = 1 };
enum class SoilRespirationModule { Alfalfa = 0, Q10 = 1, Network = 2 };

// Which formulation of the model a run solves (docs/formulation.md):
//   Jax       JAX-CanVeg's, reproducing its published numbers: one PAR/NIR scattering sweep from
//             zero upward flux per iteration (docs/model.md pitfall P3) and leaf dark respiration
//             subtracted twice (2.11);
//   Corrected converged PAR/NIR scattering (converged_shortwave_sweeps(J) sweeps) and dark
//             respiration subtracted once.
// A JAX-CanVeg model file defaults to Jax, a site TOML file to Corrected.
enum class Formulation { Jax = 0, Corrected = 1 };

// PAR/NIR scattering sweeps of the corrected formulation for J canopy layers: 10 (J + 1), i.e. 20
// for one layer and 510 for 50. A sweep carries upward light one level higher, so a round trip
// soil -> top -> soil costs about J sweeps; 10 (J + 1) sweeps converge the level fluxes to
// round-off with the default parameters at the four sites (docs/formulation.md has the measurement).
constexpr int converged_shortwave_sweeps(int n_can_layers) { return 10 * (n_can_layers + 1); }

// Static set-up of a site and canopy (JAX `Setup` plus the grid of section 1.2).
struct Setup {
  std::string site_name;
  // The file the dispersion matrix was read from (a site file's or the --dij option's); empty when
  // the model file carries it. Only for the checks of site_plausibility_warnings.
  std::string dispersion_matrix_file;
  double latitude = 0;    // [deg]
  double longitude = 0;   // [deg east]
  double time_zone = 0;   // [h]
  int leaf_angle_type = 1;
  StomataType stomata = StomataType::Amphistomatous;
  LeafRhModule leaf_rh = LeafRhModule::Physics;
  SoilRespirationModule soil_respiration = SoilRespirationModule::Q10;
  int n_can_layers = 10;     // J
  int n_total_layers = 20;   // N = J + K
  int n_soil_layers = 10;
  double dt_soil = 20.0;     // soil sub-step [s]
  int soil_mtime = 90;       // soil sub-steps per outer iteration
  int niter = 15;            // outer fixed-point iterations
  int steps_per_day = 48;
  double canopy_height = 1.0;       // h [m]
  double measurement_height = 2.0;  // z_m [m]
  double soil_depth = 0.15;         // [m]
  // The named formulation (set_formulation sets the two switches below from it), and the two
  // switches themselves, which expert options may change afterwards (docs/jax-comparison.md):
  // subtract leaf dark respiration once (the cubic's root is already net assimilation), and
  // the number of PAR/NIR scattering sweeps per iteration (JAX-CanVeg: 1 from zero, pitfall P3).
  Formulation formulation = Formulation::Jax;
  bool single_dark_respiration = false;
  int shortwave_sweeps = 1;
  std::vector<double> zht;   // node heights, N values [m]
  std::vector<double> delz;  // layer thicknesses, N values [m]
  int n_atmos_layers() const { return n_total_layers - n_can_layers; }
};

// Builds the uniform grid of docs/model.md section 1.2 into setup.zht / setup.delz.
void build_vertical_grid(Setup& setup);

// Sets setup.formulation and the switches it stands for (shortwave_sweeps, single_dark_respiration).
void set_formulation(Setup& setup, Formulation formulation);

// "jax" or "corrected".
const char* formulation_name(Formulation formulation);

// The formulation named "jax" or "corrected" (exact, lower case); false for anything else.
bool parse_formulation(const std::string& name, Formulation& out);

// One line for summaries: the formulation's name and what the set-up actually solves, e.g.
// "corrected (510 shortwave sweeps, dark respiration subtracted once)"; "modified" is added when
// expert options changed a switch away from the named formulation.
std::string describe_formulation(const Setup& setup);

// Everything the physics needs for one model: set-up, parameters, networks, statistics and the
// dispersion matrix D [N x J], row-major.
template <class T>
struct Model {
  Setup setup;
  Parameters<T> para;
  DenseNet<T> leaf_rh_net;  // LeafRHDL
  DenseNet<T> rsoil_net;    // RsoilDL
  VarStats var_mean, var_std, var_max, var_min;
  std::vector<double> dij;  // [n_total_layers * n_can_layers]
};

// The same model with another scalar type (e.g. long double for round-off studies, or an
// automatic-differentiation type); every value converts with T(value).
template <class T, class U>
Model<T> model_cast(const Model<U>& m) {
  Model<T> r;
  r.setup = m.setup;
  r.dij = m.dij;
  r.var_mean = m.var_mean;
  r.var_std = m.var_std;
  r.var_max = m.var_max;
  r.var_min = m.var_min;
  for (std::size_t i = 0; i < kParameterCount; ++i) parameter_at(r.para, i) = T(parameter_at(m.para, i));
  auto cast_net = [](const DenseNet<U>& a) {
    DenseNet<T> b;
    b.in_size = a.in_size;
    b.width = a.width;
    b.out_size = a.out_size;
    b.hidden = a.hidden;
    b.final = a.final;
    auto cast = [](const std::vector<U>& v) { return std::vector<T>(v.begin(), v.end()); };
    b.w0 = cast(a.w0), b.b0 = cast(a.b0), b.w1 = cast(a.w1), b.b1 = cast(a.b1), b.w2 = cast(a.w2), b.b2 = cast(a.b2);
    return b;
  };
  r.leaf_rh_net = cast_net(m.leaf_rh_net);
  r.rsoil_net = cast_net(m.rsoil_net);
  return r;
}

}  // namespace canveg
