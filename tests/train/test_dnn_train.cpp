// Training the neural-network baseline (canveg/dnn.hpp train_dnn, `canveg train --family DNN`):
// the hand-written gradient against finite differences, Adam's first step and the step-counted
// schedule, a short training on a 500-half-hour window of US-Hn1, determinism, the model file, bad
// input, and the program end to end. A few seconds in all.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "../test_support.hpp"
#include "canveg/dnn.hpp"
#include "canveg/errors.hpp"
#include "dnn/dnn_data.hpp"
#include "dnn/dnn_loss.hpp"

namespace {

using namespace canveg;
using canveg::test::shell_quote;

// Summer 2016 at US-Hn1: days and nights. 500 rows = 7 batches of 64 and one of 52.
constexpr std::size_t kFirst = 4800, kRows = 500;

const ForcingRecord& full_forcing() {
  static const ForcingRecord f = read_forcing_csv(test::fluxtower("US-Hn1", "US-Hn1-forcings.csv"));
  return f;
}
const ObservedFluxes& full_fluxes() {
  static const ObservedFluxes o = read_flux_csv(test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle.csv"));
  return o;
}

DnnTrainProblem window_problem(std::uint64_t seed = 3) {
  DnnTrainProblem p;
  p.initial = new_dnn_model("US-Hn1", seed);
  p.forcing = full_forcing().slice(kFirst, kFirst + kRows);
  p.observed = full_fluxes().slice(kFirst, kFirst + kRows);
  return p;
}

DnnTrainOptions short_options(int epochs) {
  DnnTrainOptions o;
  o.epochs = epochs;
  return o;
}

// Standardised data of the window in double, for the finite-difference checks.
dnn::StandardisedData<double> window_data(const DnnModel& scaled) {
  const DnnTrainProblem p = window_problem();
  const dnn::StandardisedData<float> f = dnn::standardise(scaled, p.forcing, &p.observed);
  return {std::vector<double>(f.x.begin(), f.x.end()), std::vector<double>(f.y.begin(), f.y.end())};
}

DnnModel scaled_model(std::uint64_t seed) {
  const DnnTrainProblem p = window_problem(seed);
  DnnModel m = p.initial;
  fit_dnn_scalers(m, p.forcing, p.observed);
  return m;
}

std::vector<double*> parameters_of(DenseNet<double>& n) {
  std::vector<double*> out;
  for (std::vector<double>* v : {&n.w0, &n.b0, &n.w1, &n.b1, &n.w2, &n.b2})
    for (double& x : *v) out.push_back(&x);
  return out;
}

// The reverse pass of a network against central differences of the loss, every weight and bias.
void expect_gradient_matches_finite_differences(DenseNet<double> net, const dnn::StandardisedData<double>& data,
                                                double le_weight) {
  const std::vector<std::size_t> rows = {3, 17, 44, 45, 120, 121, 250, 333, 401, 499};
  DenseNet<double> grad = nn::zero_like(net);
  dnn::batch_loss<double>(nn::view_of(net), data, rows.data(), rows.size(), le_weight, &grad);
  const std::vector<double*> p = parameters_of(net), g = parameters_of(grad);
  ASSERT_EQ(p.size(), 9u * 6 + 6 + 6 * 6 + 6 + 6 * 2 + 2);
  double largest = 0.0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    const double h = 1e-6, saved = *p[k];
    *p[k] = saved + h;
    const double up = dnn::batch_loss<double>(nn::view_of(net), data, rows.data(), rows.size(), le_weight, nullptr);
    *p[k] = saved - h;
    const double down = dnn::batch_loss<double>(nn::view_of(net), data, rows.data(), rows.size(), le_weight, nullptr);
    *p[k] = saved;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(*g[k], numeric, 1e-7 + 1e-6 * std::abs(numeric)) << "parameter " << k << " w " << le_weight;
    largest = std::max(largest, std::abs(numeric));
  }
  EXPECT_GT(largest, 1e-2);  // the check is not vacuous
}

}  // namespace

TEST(DnnGradient, MatchesFiniteDifferencesForEveryWeight) {
  const DnnModel m = scaled_model(11);
  const dnn::StandardisedData<double> data = window_data(m);
  for (const double w : {0.0, 0.3, 1.0}) expect_gradient_matches_finite_differences(m.net, data, w);
  // The generic reverse pass with the other activations (sigmoid output as LeafRHDL, softplus).
  DenseNet<double> other = m.net;
  other.final = Activation::Sigmoid;
  expect_gradient_matches_finite_differences(other, data, 0.5);
  other.hidden = Activation::Softplus;
  expect_gradient_matches_finite_differences(other, data, 0.5);
}

// The single-precision gradient used in training agrees with the double one to float accuracy.
TEST(DnnGradient, SinglePrecisionAgreesWithDouble) {
  const DnnModel m = scaled_model(5);
  const DnnTrainProblem p = window_problem();
  const dnn::StandardisedData<float> f = dnn::standardise(m, p.forcing, &p.observed);
  const dnn::StandardisedData<double> d = window_data(m);
  const DenseNet<float> net_f = dnn::single_precision(m.net);
  DenseNet<float> grad_f = nn::zero_like(net_f);
  DenseNet<double> net_d = m.net, grad_d = nn::zero_like(m.net);
  const double loss_f = dnn::batch_loss<float>(nn::view_of(net_f), f, nullptr, f.rows(), 0.5, &grad_f);
  const double loss_d = dnn::batch_loss<double>(nn::view_of(net_d), d, nullptr, d.rows(), 0.5, &grad_d);
  EXPECT_NEAR(loss_f, loss_d, 1e-5 * loss_d);
  const DenseNet<double> grad_f_as_double = dnn::double_precision(grad_f);
  DenseNet<double> copy = grad_f_as_double;
  const std::vector<double*> a = parameters_of(copy), b = parameters_of(grad_d);
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(*a[k], *b[k], 1e-5 + 1e-4 * std::abs(*b[k])) << k;
}

TEST(DnnTrain, ScheduleCountsAdamStepsAndScalesCumulatively) {
  const DnnTrainOptions o;
  EXPECT_EQ(o.learning_rate.at(0), 0.2);
  EXPECT_EQ(o.learning_rate.at(49), 0.2);
  EXPECT_DOUBLE_EQ(o.learning_rate.at(50), 0.02);
  EXPECT_DOUBLE_EQ(o.learning_rate.at(99), 0.02);
  EXPECT_DOUBLE_EQ(o.learning_rate.at(100), 0.002);
  EXPECT_DOUBLE_EQ(o.learning_rate.at(200), 0.0002);
  EXPECT_DOUBLE_EQ(o.learning_rate.at(100000), 0.0002);
  EXPECT_EQ(o.batch_size, 64u);
  EXPECT_EQ(o.epochs, 300);
}

// A full-window batch and one epoch: Adam's first step moves every weight by lr g / (|g| + eps),
// about 0.2 against its gradient's sign (bias-corrected moments of one step are g and g^2).
TEST(DnnTrain, FirstStepIsAdams) {
  DnnTrainProblem p = window_problem();
  DnnTrainOptions o = short_options(1);
  o.batch_size = kRows;
  const DnnTrainResult r = train_dnn(p, o);
  ASSERT_EQ(r.history.size(), 1u);
  EXPECT_EQ(r.history[0].steps, 1);
  DnnModel scaled = p.initial;
  fit_dnn_scalers(scaled, p.forcing, p.observed);
  const dnn::StandardisedData<double> data = window_data(scaled);
  DenseNet<double> before = p.initial.net, after = r.model.net, grad = nn::zero_like(before);
  dnn::batch_loss<double>(nn::view_of(before), data, nullptr, data.rows(), 0.5, &grad);
  const std::vector<double*> b = parameters_of(before), a = parameters_of(after), g = parameters_of(grad);
  for (std::size_t k = 0; k < b.size(); ++k) {
    if (std::abs(*g[k]) < 1e-4) continue;  // where |g| ~ float round-off the sign is not meaningful
    EXPECT_NEAR(*a[k] - *b[k], -0.2 * *g[k] / (std::abs(*g[k]) + 1e-8), 1e-6) << k;
  }
}

// Seven epochs of 8 batches (7 of 64 rows and the 52 left over): the loss falls below its initial
// value, the rate drops from 0.2 to 0.02 once 50 steps are done, and the losses are finite.
TEST(DnnTrain, ShortTrainingLowersTheLossAndKeepsTheLastBatch) {
  const DnnTrainResult r = train_dnn(window_problem(), short_options(7));
  ASSERT_EQ(r.epochs_run, 7) << r.stop_reason;
  EXPECT_EQ(r.stop_reason, "completed 7 epochs");
  for (const DnnEpochRecord& e : r.history) {
    EXPECT_EQ(e.steps, 8L * (e.epoch + 1));
    EXPECT_TRUE(std::isnan(e.test_loss));
  }
  EXPECT_EQ(r.history[5].learning_rate, 0.2);  // steps 40..47
  EXPECT_DOUBLE_EQ(r.history[6].learning_rate, 0.02);  // steps 48..55: the last at 0.02
  std::printf("[ dnn ] initial loss %.6f, after epochs 1..7:", r.initial_train_loss);
  for (const DnnEpochRecord& e : r.history) std::printf(" %.6f", e.train_loss);
  std::printf("\n");
  EXPECT_GT(r.initial_train_loss, 0.5);
  EXPECT_LT(r.history.back().train_loss, 0.8 * r.initial_train_loss);
  EXPECT_LT(r.history.back().train_loss, r.history.front().train_loss);
  EXPECT_TRUE(r.model.has_scalers);
  EXPECT_EQ(r.model.trained_le_weight, 0.5);
  EXPECT_EQ(r.model.site_name, "US-Hn1");
}

TEST(DnnTrain, SameSeedSameNetworkOtherSeedAnother) {
  const DnnTrainResult a = train_dnn(window_problem(), short_options(2));
  const DnnTrainResult b = train_dnn(window_problem(), short_options(2));
  EXPECT_EQ(a.model.net.w0, b.model.net.w0);
  EXPECT_EQ(a.model.net.w2, b.model.net.w2);
  EXPECT_EQ(a.model.net.b2, b.model.net.b2);
  ASSERT_EQ(a.history.size(), b.history.size());
  for (std::size_t e = 0; e < a.history.size(); ++e) EXPECT_EQ(a.history[e].train_loss, b.history[e].train_loss);
  // Another batch order alone (same initial network) gives another network.
  DnnTrainOptions other = short_options(2);
  other.seed = 1;
  const DnnTrainResult c = train_dnn(window_problem(), other);
  EXPECT_NE(c.model.net.w0, a.model.net.w0);
  // Another initial network.
  EXPECT_NE(new_dnn_model("US-Hn1", 1).net.w0, new_dnn_model("US-Hn1", 2).net.w0);
  // The draw lies in +-1/sqrt(fan-in) and is single precision.
  const DnnModel m = new_dnn_model("US-Hn1", 9);
  for (double x : m.net.w0) {
    EXPECT_LE(std::abs(x), 1 / std::sqrt(9.0));
    EXPECT_EQ(x, static_cast<double>(static_cast<float>(x)));
  }
  for (double x : m.net.w1) EXPECT_LE(std::abs(x), 1 / std::sqrt(6.0));
}

TEST(DnnTrain, SavedModelReloadsToIdenticalPredictions) {
  DnnTrainProblem p = window_problem();
  const ForcingRecord test_forcing = full_forcing().slice(9000, 9300);
  const ObservedFluxes test_fluxes = full_fluxes().slice(9000, 9300);
  p.test_forcing = &test_forcing;
  p.test_observed = &test_fluxes;
  DnnTrainOptions o = short_options(2);
  o.le_weight = 0.3;
  const DnnTrainResult r = train_dnn(p, o);
  EXPECT_TRUE(std::isfinite(r.history.back().test_loss));
  test::TempDir dir;
  const std::string path = dir.file("trained.json");
  write_dnn_json(r.model, path);
  ASSERT_TRUE(is_dnn_json(path));
  const DnnModel back = read_dnn_json(path);
  EXPECT_TRUE(back.has_scalers);
  EXPECT_EQ(back.trained_le_weight, 0.3);
  EXPECT_EQ(back.site_name, "US-Hn1");
  EXPECT_EQ(back.input_mean, r.model.input_mean);
  EXPECT_EQ(back.output_std, r.model.output_std);
  const DnnPrediction a = run_dnn(r.model, test_forcing), b = run_dnn(back, test_forcing);
  EXPECT_EQ(a.LE, b.LE);
  EXPECT_EQ(a.NEE, b.NEE);
  // The test loss recorded is the loss of these predictions on standardised fluxes.
  double le = 0, nee = 0;
  for (std::size_t i = 0; i < a.LE.size(); ++i) {
    le += std::pow((a.LE[i] - test_fluxes.LE[i]) / back.output_std[0], 2);
    nee += std::pow((a.NEE[i] - test_fluxes.NEE[i]) / back.output_std[1], 2);
  }
  const double loss = (0.3 * le + 0.7 * nee) / static_cast<double>(a.LE.size());
  EXPECT_NEAR(r.history.back().test_loss, loss, 1e-5 * loss);
}

// scikit-learn's StandardScaler leaves a constant column unscaled (scale 1) instead of failing: the
// LAI of the first 192 half-hours is constant.
TEST(DnnTrain, ConstantInputKeepsScaleOne) {
  DnnModel m = new_dnn_model("US-Hn1", 0);
  fit_dnn_scalers(m, full_forcing().slice(0, 192), full_fluxes().slice(0, 192));
  EXPECT_EQ(m.input_std[8], 1.0);
  EXPECT_EQ(m.input_mean[8], full_forcing().lai[0]);
  EXPECT_GT(m.input_std[0], 1.0);  // air temperature varies
}

TEST(DnnTrain, BadInputIsRefused) {
  const auto refused = [](const DnnTrainProblem& p, const DnnTrainOptions& o, const std::string& field,
                          const std::string& text) { test::expect_input_error([&] { train_dnn(p, o); }, field, text); };
  DnnTrainOptions o = short_options(1);
  o.le_weight = 1.5;
  refused(window_problem(), o, "--le-weight", "[0, 1]");
  o.le_weight = -0.1;
  refused(window_problem(), o, "--le-weight", "[0, 1]");
  o = short_options(1);
  o.batch_size = 1024;
  refused(window_problem(), o, "", "fewer than one batch of 1024");
  DnnTrainProblem shifted = window_problem();
  shifted.observed = full_fluxes().slice(kFirst + 1, kFirst + kRows + 1);
  refused(shifted, short_options(1), "TIMESTAMP_END", "differs from");
  DnnTrainProblem half_test = window_problem();
  half_test.test_forcing = &half_test.forcing;
  refused(half_test, short_options(1), "--test-forcing", "together");
  DnnTrainProblem no_nee = window_problem();
  no_nee.observed.NEE.clear();
  refused(no_nee, short_options(1), "NEE", "no NEE column");
  DnnTrainProblem narrow = window_problem();
  narrow.initial.net.in_size = 8;
  refused(narrow, short_options(1), "layers", "9 forcings");
}

// The program: a new network trained on the whole US-Hn1 training period for 2 epochs, its model
// and history written, then run over the test period without any scaler file; a published DNN
// file is recognised as the DNN family; options of the CanVeg family and bad values are refused.
TEST(DnnTrainCommand, TrainsRunsAndRefusesBadOptions) {
  test::TempDir dir;
  const std::string data = "--forcing " + shell_quote(test::fluxtower("US-Hn1", "US-Hn1-forcings.csv")) +
                           " --observed " + shell_quote(test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle.csv"));
  const std::string test_forcing = shell_quote(test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv"));
  const std::string test_fluxes = shell_quote(test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv"));
  const std::string out = dir.file("dnn.json");
  const auto r = test::run_canveg("train --family DNN --site-name US-Hn1 " + data + " --test-forcing " + test_forcing +
                                      " --test-observed " + test_fluxes + " --epochs 2 --le-weight 0.5 --seed 4 --output " +
                                      shell_quote(out),
                                  dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("completed 2 epochs"), std::string::npos) << r.err;
  const std::string history = test::read_text(dir.file("dnn-history.csv"));
  EXPECT_EQ(history.rfind("epoch,steps,learning_rate,train_loss,test_loss,seconds\n0,297,", 0), 0u) << history;
  const DnnModel m = read_dnn_json(out);
  EXPECT_TRUE(m.has_scalers);
  EXPECT_EQ(m.site_name, "US-Hn1");

  const std::string predicted = dir.file("predicted.csv");
  const auto run = test::run_canveg("run --quiet --model " + shell_quote(out) + " --forcing " + test_forcing +
                                        " --observed " + test_fluxes + " --output " + shell_quote(predicted),
                                    dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(test::head_lines(predicted, 1), "TIMESTAMP_END,LE,NEE\n");
  EXPECT_NE(run.out.find("LE "), std::string::npos) << run.out;

  // A published DNN file: the DNN family without --family, its weight (0.5) and network the start.
  const auto resumed = test::run_canveg("train --quiet --model " +
                                            shell_quote(test::trained("US-Hn1_DNN_LE-GPP-0.5.json")) + " " + data +
                                            " --epochs 1 --output " + shell_quote(dir.file("continued.json")),
                                        dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(read_dnn_json(dir.file("continued.json")).trained_le_weight, 0.5);

  const auto refused = [&](const std::string& args, const std::string& text) {
    const auto e = test::run_canveg("train --quiet " + args + " --output " + shell_quote(dir.file("x.json")), dir);
    EXPECT_EQ(e.exit_code, 1) << args;
    EXPECT_NE(e.err.find(text), std::string::npos) << args << ": " << e.err;
  };
  refused("--family DNN --site-name US-Hn1 " + data + " --le-weight 1.5", "[0, 1]");
  refused("--family dnn --site-name US-Hn1 " + data + " --method onestep", "--method does not apply to --family DNN");
  refused("--family dnn --site-name US-Hn1 " + data + " --test-every 5", "--test-every does not apply to --family DNN");
  refused("--family dnn --site-name US-Hn1 " + data + " --exact-from 5", "--exact-from does not apply to --family DNN");
  refused("--family dnn --site-name US-Hn1 " + data + " --keep-epoch last", "--keep-epoch does not apply to --family DNN");
  refused("--family DNN " + data, "exactly one of --model <DNN file>");
  refused("--site-name US-Hn1 " + data, "--site-name names a new network of --family DNN");
  refused("--family CanVeg --model " + shell_quote(test::trained("US-Hn1_DNN_LE-GPP-0.5.json")) + " " + data,
          "use --family DNN");
  refused("--family DNN --model " + shell_quote(test::trained("US-Hn1_PB-1L-0.5.json")) + " " + data,
          "not a neural-network baseline");
  refused("--family DNN --site-name US-Hn1 --forcing " + shell_quote(test::fluxtower("US-Hn1", "US-Hn1-forcings.csv")) +
              " --observed " + test_fluxes,
          "they must cover the same half-hours");
}
