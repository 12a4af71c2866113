// Goodness-of-fit metrics between predicted and observed series (README "Evaluation").
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace canveg {

struct FitMetrics {
  std::size_t n = 0;    // pairs used
  double nse = 0;       // Nash-Sutcliffe efficiency 1 - sum (p-o)^2 / sum (o - mean o)^2
  double rmse = 0;      // root-mean-square error
  double r2 = 0;        // squared Pearson correlation
  double kge = 0;       // Kling-Gupta efficiency (Gupta et al. 2009)
  double bias = 0;      // mean(p - o)
  double mae = 0;       // mean |p - o|
  double r = 0;         // Pearson correlation
  double sd_ratio = 0;  // sd(p) / sd(o), population standard deviations
  // Normalised mean error, sum |p - o| / sum |o - mean o| (Best et al. 2015, PLUMBER; 0 is perfect,
  // 1 is no better than the observed mean).
  double nme = 0;
  double mean_observed = 0, sd_observed = 0;
  // KGE's bias term divides by the observed mean, so with a mean near zero KGE measures noise:
  // flagged when |mean o| < 0.25 sd(o) (NEE over a year is the usual case).
  bool kge_unreliable = false;
};

// Metrics computed the way JAX-CanVeg's postprocessing did: predictions with |p| > 10000 and
// non-finite values are dropped together with their observation; observations are expected
// gap-interpolated already (ObservedFluxes does that). Pairs with a non-finite observation are
// dropped as well.
FitMetrics compute_metrics(const std::vector<double>& predicted, const std::vector<double>& observed);

// A warning ("" if none) when an observed flux anti-correlates with the model's (r below -0.5 over
// a day or more): the signature of a column in the opposite sign convention (e.g. NEE with uptake
// positive), which every score would otherwise report as a bad model.
std::string sign_convention_warning(const FitMetrics& m, const std::string& flux, const std::string& column);

// Mean and population standard deviation of a series (scikit-learn's StandardScaler, JAX-CanVeg's
// "standard" scaler), for standardising model inputs and outputs. Throws InputError naming `file`
// and `field` when the series is empty, constant or not finite.
struct Standardisation {
  double mean = 0.0, std = 1.0;
};
Standardisation standardisation_of(const std::vector<double>& series, const std::string& file,
                                   const std::string& field);

}  // namespace canveg
