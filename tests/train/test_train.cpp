// Training (include/canveg/train.hpp, `canveg train`) on a 192-half-hour window of the US-Hn1
// training period (summer 2016 midday to evening and night), batches of 64, 1 canopy layer.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "../test_support.hpp"
#include "canveg/canveg.hpp"
#include "canveg/train.hpp"

namespace {

using namespace canveg;
using canveg::test::shell_quote;

constexpr std::size_t kFirst = 4800, kRows = 192;

struct Window {
  ForcingRecord forcing;
  ObservedFluxes observed;
};

const Window& window() {
  static const Window w = [] {
    Window x;
    x.forcing = read_forcing_csv(test::fluxtower("US-Hn1", "US-Hn1-forcings.csv")).slice(kFirst, kFirst + kRows);
    x.observed = read_flux_csv(test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle.csv")).slice(kFirst, kFirst + kRows);
    return x;
  }();
  return w;
}

TrainProblem problem(const std::string& model_file) {
  TrainProblem p;
  p.initial = read_model_json(test::trained(model_file));
  p.forcing = window().forcing;
  p.observed = window().observed;
  return p;
}

// train() refuses the options with an InputError naming `field`, its message holding `text`.
void expect_refused(const TrainProblem& p, const TrainOptions& o, const std::string& field, const std::string& text) {
  test::expect_input_error([&] { train(p, o); }, field, text);
}

TrainOptions small_options(int epochs) {
  TrainOptions o;
  o.epochs = epochs;
  o.learning_rate.initial = 0.001;
  o.loss.le_weight = 0.5;
  o.gradient.batch_size = 64;
  o.gradient.threads = 2;
  return o;
}

}  // namespace

TEST(LearningRate, JaxCanVegsPiecewiseConstantSchedule) {
  const LearningRateSchedule s;
  EXPECT_EQ(s.at(0), 0.01);
  EXPECT_EQ(s.at(49), 0.01);
  EXPECT_EQ(s.at(50), 0.005);
  EXPECT_EQ(s.at(99), 0.005);
  EXPECT_EQ(s.at(100), 0.0025);
  EXPECT_EQ(s.at(200), 0.00125);
  EXPECT_EQ(s.at(299), 0.00125);
}

// The rise of the training loss that the command warns about: last over lowest, and where the
// lowest was (a training at US-Hn1 with the exact gradient fell to 0.7004 and ended at 2.55).
TEST(TrainLossRise, LastOverLowestAndItsEpoch) {
  const auto history = [](std::initializer_list<double> losses) {
    std::vector<EpochRecord> h;
    for (double l : losses) {
      EpochRecord r;
      r.epoch = static_cast<int>(h.size());
      r.learning_rate = 0.01;
      r.train_loss = l;
      h.push_back(r);
    }
    return h;
  };
  const LossRise falling = training_loss_rise(history({8.3, 1.0, 0.9, 0.76}));
  EXPECT_EQ(falling.ratio, 1.0);
  EXPECT_EQ(falling.lowest_epoch, 3);
  const LossRise jumped = training_loss_rise(history({8.3, 0.7004, 3.79, 2.55}));
  EXPECT_DOUBLE_EQ(jumped.ratio, 2.55 / 0.7004);
  EXPECT_EQ(jumped.lowest_epoch, 1);
  EXPECT_EQ(jumped.lowest, 0.7004);
  EXPECT_GT(jumped.ratio, kLossRiseWarning);
  EXPECT_LT(training_loss_rise(history({1.0, 0.8, 1.1})).ratio, kLossRiseWarning);  // Adam's noise
  EXPECT_TRUE(std::isnan(training_loss_rise({}).ratio));
  EXPECT_TRUE(std::isnan(training_loss_rise(history({1.0, NAN})).ratio));
}

// Three epochs lower the training loss, keep every parameter inside its bounds, and the first
// step is Adam's: each parameter moves by lr g / (|g| + eps) against its gradient (bias-corrected
// moments of one step are g and g^2), clipped to the box.
TEST(Train, LossDecreasesBoundsHoldFirstStepIsAdams) {
  // The default gradient (one-step) and the exact one.
  EXPECT_EQ(TrainOptions{}.gradient.method, FixedPointGradient::OneStep);
  for (const FixedPointGradient method : {FixedPointGradient::OneStep, FixedPointGradient::Unrolled}) {
    SCOPED_TRACE(fixed_point_gradient_name(method));
    const TrainProblem p = problem("US-Hn1_Hybrid-1L-0.5.json");
    TrainOptions o = small_options(3);
    o.gradient.method = method;
    const TrainResult r = train(p, o);
    ASSERT_EQ(r.epochs_run, 3) << r.stop_reason;
    EXPECT_LT(r.history[1].train_loss, r.history[0].train_loss);
    EXPECT_LT(r.history[2].train_loss, r.history[1].train_loss);

    const ParameterSpace space = training_space(r.model.model, {});
    const auto bounds = training_bounds(space, {});
    const std::vector<double> final_values = space.values(r.model.model);
    for (std::size_t k = 0; k < space.size(); ++k) {
      EXPECT_GE(final_values[k], bounds[k].first) << space.name(k);
      EXPECT_LE(final_values[k], bounds[k].second) << space.name(k);
    }
    // Untrained parameters are clipped too (hkin: 99999 already in the trained file).
    EXPECT_EQ(r.model.model.para.hkin, 99999.0);

    const LossGradient g0 = loss_and_gradient(p.initial.model, space, p.forcing, p.observed,
                                              LossSpec{0.5, standard_scaler(p.observed)}, o.gradient);
    EXPECT_EQ(g0.loss, r.history[0].train_loss);
    const std::vector<double> v0 = space.values(p.initial.model);
    for (std::size_t k = 0; k < space.size(); ++k) {
      const double g = g0.gradient[k];
      const double expected = std::clamp(v0[k] - 0.001 * (g / (std::abs(g) + 1e-8)), bounds[k].first, bounds[k].second);
      EXPECT_NEAR(r.history[0].parameters[k], expected, 1e-15 * std::max(1.0, std::abs(expected))) << space.name(k);
    }
  }
}

// The model written after training reads back to the same predictions, bit for bit.
TEST(Train, SavedModelReloadsToIdenticalPredictions) {
  const TrainResult r = train(problem("US-Hn1_PB-1L-0.5.json"), small_options(2));
  test::TempDir dir;
  const std::string path = (dir.path() / "trained.json").string();
  write_model_json(r.model, path);
  const LoadedModel back = read_model_json(path);
  EXPECT_EQ(back.trained_le_weight, 0.5);
  const RunResult a = run_model(r.model.model, window().forcing), b = run_model(back.model, window().forcing);
  for (std::size_t i = 0; i < kOutputCount; ++i) EXPECT_EQ(a.outputs.series(i), b.outputs.series(i)) << kOutputFields[i].name;
}

// Stopped after 2 epochs and resumed from the checkpoint file, a 4-epoch training ends exactly where
// the uninterrupted one does.
TEST(Train, ResumeIsBitIdenticalToAnUninterruptedRun) {
  const TrainProblem p = problem("US-Hn1_Hybrid-1L-0.5.json");
  const TrainResult whole = train(p, small_options(4));
  test::TempDir dir;
  const std::string checkpoint = (dir.path() / "state.json").string();
  const nlohmann::json settings = {{"case", "resume test"}};
  TrainOptions first = small_options(4);
  int calls = 0;
  try {
    train(p, first, [&](const TrainState& s, const EpochRecord&) {
      write_train_state(s, settings, checkpoint);
      if (++calls == 2) throw std::runtime_error("interrupted");
    });
  } catch (const std::runtime_error&) {
  }
  ASSERT_EQ(calls, 2);
  const TrainState state = read_train_state(checkpoint, settings);
  EXPECT_EQ(state.epochs_done, 2);
  const TrainResult resumed = train(p, small_options(4), {}, &state);
  ASSERT_EQ(resumed.history.size(), whole.history.size());
  for (std::size_t e = 0; e < whole.history.size(); ++e) {
    EXPECT_EQ(resumed.history[e].train_loss, whole.history[e].train_loss) << "epoch " << e;
    EXPECT_EQ(resumed.history[e].parameters, whole.history[e].parameters) << "epoch " << e;
  }
  const ParameterSpace space = training_space(whole.model.model, {});
  EXPECT_EQ(space.values(resumed.model.model), space.values(whole.model.model));
  EXPECT_THROW(read_train_state(checkpoint, nlohmann::json{{"case", "another"}}), InputError);
}

// JAX-CanVeg's defect, reproduced on request: the elements of a network array (a weight matrix or
// bias vector) share one gradient, the mean over batches and elements, so Adam's first step moves
// them all by lr against its sign. By default each element moves against its own gradient.
TEST(Train, PooledUpdateMovesEachNetworkArrayAsOne) {
  const TrainProblem p = problem("US-Hn1_Hybrid-1L-0.5.json");
  const TrainOptions base = small_options(1);
  const ParameterSpace space = training_space(p.initial.model, {});
  const LossGradient g = loss_and_gradient(p.initial.model, space, p.forcing, p.observed,
                                           LossSpec{0.5, standard_scaler(p.observed)}, base.gradient);
  const std::vector<double> before = space.values(p.initial.model);
  const DenseNet<double>& net = p.initial.model.leaf_rh_net;
  // The arrays of LeafRHDL in the space: after the scalars, w0 b0 w1 b1 w2 b2.
  std::vector<std::pair<std::size_t, std::size_t>> arrays;
  std::size_t at = kTrainedParameterCount;
  for (std::size_t n : {net.w0.size(), net.b0.size(), net.w1.size(), net.b1.size(), net.w2.size(), net.b2.size()})
    arrays.emplace_back(at, at + n), at += n;
  ASSERT_EQ(at, space.size());
  int mixed = 0;  // arrays whose elements' gradients differ in sign: there the two modes must differ
  for (const bool pooled : {true, false}) {
    TrainOptions o = base;
    o.jax_pooled_update = pooled;
    const std::vector<double> after = space.values(train(p, o).model.model);
    for (const auto& [first, last] : arrays) {
      double sum = 0.0;
      for (std::size_t k = first; k < last; ++k) sum += g.gradient[k];
      const double mean = sum / static_cast<double>(last - first);
      bool positive = false, negative = false;
      for (std::size_t k = first; k < last; ++k) {
        positive |= g.gradient[k] > 0, negative |= g.gradient[k] < 0;
        const double used = pooled ? mean : g.gradient[k];
        const double expected_step = -0.001 * used / (std::abs(used) + 1e-8);  // Adam's first step
        EXPECT_NEAR(after[k] - before[k], expected_step, 1e-15) << space.name(k) << (pooled ? " pooled" : "");
      }
      mixed += !pooled && positive && negative;
    }
  }
  EXPECT_GT(mixed, 0);
}

TEST(Train, BadSettingsAreRefused) {
  const TrainProblem p = problem("US-Hn1_PB-1L-0.5.json");
  const auto refused = [](const TrainOptions& o, const TrainProblem& q, const std::string& field,
                          const std::string& text) { expect_refused(q, o, field, text); };
  TrainOptions o = small_options(1);
  o.loss.le_weight = 1.5;
  refused(o, p, "--le-weight", "[0, 1]");
  o = small_options(1);
  o.trained = {"vcmax"};
  refused(o, p, "--train", "unknown parameter 'vcmax'");
  o = small_options(1);
  o.bounds = {{"vcopt", {200.0, 100.0}}};
  refused(o, p, "--bounds", "lower bound");
  o = small_options(1);
  o.gradient.batch_size = 1024;
  refused(o, p, "", "fewer than one batch of 1024");
  TrainProblem site = p;
  site.initial = read_site_toml(std::string(CANVEG_SOURCE_DIR) + "/examples/sites/US-Hn1.toml");
  o = small_options(1);
  o.trained = {"vcopt", "LeafRHDL"};
  refused(o, site, "--train", "no LeafRHDL network");
  TrainProblem shifted = p;
  shifted.observed = read_flux_csv(test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle.csv")).slice(kFirst + 1, kFirst + kRows + 1);
  refused(small_options(1), shifted, "TIMESTAMP_END", "differs from");
}

// The program end to end: trained model, history CSV and checkpoint written; the model runs; an
// output that would overwrite an input is refused before any work.
// The command with --epochs 1 instead of its --epochs.
std::string epochs_one(std::string command) {
  const std::size_t at = command.find("--epochs ");
  const std::size_t end = command.find(' ', at + 9);
  return command.replace(at, end - at, "--epochs 1");
}

TEST(TrainCommand, WritesModelHistoryAndCheckpoint) {
  test::TempDir dir;
  const auto window_file = [&](const std::string& source, const std::string& name) {
    std::istringstream in(test::read_text(source));
    std::string line, text;
    for (std::size_t i = 0; std::getline(in, line); ++i)
      if (i == 0 || (i > kFirst && i <= kFirst + kRows)) text += line + "\n";
    return dir.write(name, text);
  };
  const std::string f = window_file(test::fluxtower("US-Hn1", "US-Hn1-forcings.csv"), "forcing.csv");
  const std::string o = window_file(test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle.csv"), "fluxes.csv");
  const std::string out = (dir.path() / "trained.json").string();
  const std::string common = "train --model " + shell_quote(test::trained("US-Hn1_Hybrid-1L-0.5.json")) +
                             " --forcing " + shell_quote(f) + " --observed " + shell_quote(o) +
                             " --batch-size 64 --learning-rate 0.001 --epochs 2 --quiet";
  const auto r = test::run_canveg(common + " --output " + shell_quote(out), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const LoadedModel m = read_model_json(out);
  EXPECT_EQ(m.trained_le_weight, 0.5);
  // The settings record the default gradient.
  EXPECT_NE(test::read_text(out).find("\"method\": \"onestep\""), std::string::npos);
  const std::string history = test::read_text((dir.path() / "trained-history.csv").string());
  EXPECT_EQ(std::count(history.begin(), history.end(), '\n'), 3);
  EXPECT_EQ(history.rfind("epoch,learning_rate,train_loss,test_loss,validation_loss,seconds,bprime,", 0), 0u);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "trained.checkpoint.json"));
  const auto run = test::run_canveg("run --quiet --model " + shell_quote(out) + " --forcing " + shell_quote(f) +
                                        " --output " + shell_quote((dir.path() / "fluxes-out.csv").string()),
                                    dir);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  // A learning rate far too large throws the loss up from its first epoch: with --keep-epoch last
  // the command writes the last epoch's model but says so, also with --quiet; by default it writes
  // the parameters of the lowest training loss and names their epoch.
  const std::string too_fast = "train --model " + shell_quote(test::trained("US-Hn1_Hybrid-1L-0.5.json")) +
                               " --forcing " + shell_quote(f) + " --observed " + shell_quote(o) +
                               " --batch-size 64 --learning-rate 0.5 --epochs 6 --quiet --output " +
                               shell_quote((dir.path() / "rose.json").string());
  const auto rose = test::run_canveg(too_fast + " --keep-epoch last", dir);
  ASSERT_EQ(rose.exit_code, 0) << rose.err;
  EXPECT_NE(rose.err.find("warning: train: the training loss ended at"), std::string::npos) << rose.err;
  EXPECT_NE(rose.err.find("--validation-days"), std::string::npos) << rose.err;
  const auto kept = test::run_canveg(too_fast, dir);
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(kept.err.find("warning"), std::string::npos) << kept.err;
  const nlohmann::json kept_record = nlohmann::json::parse(test::read_text((dir.path() / "rose.json").string()))["training"];
  EXPECT_LT(kept_record["best_epoch"].get<int>(), 5);
  EXPECT_NE(kept_record["stop_reason"].get<std::string>().find("kept history row"), std::string::npos);

  const auto clobber = test::run_canveg(common + " --output " + shell_quote(f), dir);
  EXPECT_EQ(clobber.exit_code, 1);
  EXPECT_NE(clobber.err.find("would overwrite the input"), std::string::npos) << clobber.err;
  const auto weight = test::run_canveg(common + " --output " + shell_quote(out) + " --le-weight 2", dir);
  EXPECT_EQ(weight.exit_code, 1);
  EXPECT_NE(weight.err.find("--le-weight"), std::string::npos) << weight.err;
  // Bounds that exclude a parameter's starting value move it there in one step: said.
  const auto outside = test::run_canveg(epochs_one(common) + " --bounds kball=20:30 --output " +
                                            shell_quote((dir.path() / "bounded.json").string()),
                                        dir);
  ASSERT_EQ(outside.exit_code, 0) << outside.err;
  EXPECT_NE(outside.err.find("warning: train: kball starts at "), std::string::npos) << outside.err;
  EXPECT_NE(outside.err.find(", outside its bounds [20, 30]: the first step clips it to 20"), std::string::npos)
      << outside.err;

  // A resume continues only the training its checkpoint belongs to: the same values read the same
  // way, not only the same file names. Another forcing option, or the forcing edited in place, is
  // refused, naming what differs; the unchanged training resumes.
  // A resume with `option` is refused, naming the setting `key` that differs.
  const auto expect_resume_refused = [&](const std::string& option, const std::string& key) {
    const auto r = test::run_canveg(common + " --output " + shell_quote(out) + " --resume " + option, dir);
    EXPECT_EQ(r.exit_code, 1) << option;
    EXPECT_NE(r.err.find("other settings than this training (" + key + ":"), std::string::npos) << r.err;
  };
  expect_resume_refused("--lai 2.5", "forcing_options");
  expect_resume_refused("--test-every 2", "test_every");
  // The exact phase and the kept parameters change the result: another of either is refused too.
  expect_resume_refused("--exact-from 1", "exact_from");
  expect_resume_refused("--keep-epoch last", "keep_epoch");
  // A malformed --exact-from is refused as the command line is read, before any file is (the
  // forcing named here does not exist).
  const std::string missing_forcing = (dir.path() / "no-such-forcing.csv").string();
  const std::string missing_fluxes = (dir.path() / "no-such-fluxes.csv").string();
  const auto bad_exact =
      test::run_canveg("train --model " + shell_quote(test::trained("US-Hn1_Hybrid-1L-0.5.json")) + " --forcing " +
                           shell_quote(missing_forcing) + " --observed " + shell_quote(missing_fluxes) + " --output " +
                           shell_quote(out) + " --exact-from soon",
                       dir);
  EXPECT_EQ(bad_exact.exit_code, 2);
  EXPECT_NE(bad_exact.err.find("--exact-from: expected auto, never or an epoch (0 or more), found 'soon'"),
            std::string::npos)
      << bad_exact.err;
  EXPECT_EQ(bad_exact.err.find("no-such-forcing"), std::string::npos) << bad_exact.err;
  // The progress lines estimate the time left per phase: before the exact phase, that of the
  // one-step epochs, naming the exact ones to come.
  std::string verbose = common;
  verbose.erase(verbose.find(" --quiet"));
  verbose.replace(verbose.find("--epochs 2"), 10, "--epochs 3");
  const auto phases = test::run_canveg(verbose + " --exact-from 2 --output " +
                                           shell_quote((dir.path() / "phases.json").string()),
                                       dir);
  ASSERT_EQ(phases.exit_code, 0) << phases.err;
  EXPECT_NE(phases.err.find("epoch 1/3"), std::string::npos) << phases.err;
  EXPECT_NE(phases.err.find("left before the 1 exact epochs)"), std::string::npos) << phases.err;
  EXPECT_NE(phases.err.find("the exact (unrolled) gradient from epoch 3 on"), std::string::npos) << phases.err;
  const std::size_t third = phases.err.find("epoch 3/3");
  ASSERT_NE(third, std::string::npos) << phases.err;
  EXPECT_EQ(phases.err.find("exact epochs)", third), std::string::npos) << phases.err;
  const std::string original = test::read_text(f);
  std::string edited = original;
  const std::size_t second_row_end = edited.find('\n', edited.find('\n') + 1);
  edited.insert(second_row_end, "1");  // one more digit in the first row's LAI
  test::write_text(f, edited);
  const auto other_data = test::run_canveg(common + " --output " + shell_quote(out) + " --resume", dir);
  EXPECT_EQ(other_data.exit_code, 1);
  EXPECT_NE(other_data.err.find("(data: the forcing or flux values, as read with the forcing options, differ)"),
            std::string::npos)
      << other_data.err;
  test::write_text(f, original);
  const auto same = test::run_canveg(common + " --output " + shell_quote(out) + " --resume", dir);
  EXPECT_EQ(same.exit_code, 0) << same.err;
  // More epochs on a resume continue the training: the same as running them all at once.
  const auto epochs = [&](const std::string& n) {
    std::string c = common;
    return c.replace(c.find("--epochs 2"), 10, "--epochs " + n);
  };
  const auto longer = test::run_canveg(epochs("3") + " --output " + shell_quote(out) + " --resume", dir);
  ASSERT_EQ(longer.exit_code, 0) << longer.err;
  const std::string at_once = (dir.path() / "at-once.json").string();
  const auto whole = test::run_canveg(epochs("3") + " --output " + shell_quote(at_once), dir);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const auto without_seconds = [](const std::string& csv) {
    std::istringstream in(test::read_text(csv));
    std::string line, kept;
    while (std::getline(in, line)) {
      std::vector<std::string> cells;
      std::istringstream row(line);
      for (std::string c; std::getline(row, c, ',');) cells.push_back(c);
      for (std::size_t i = 0; i < cells.size(); ++i)
        if (i != 5) kept += cells[i] + ",";  // column 5: seconds
      kept += "\n";
    }
    return kept;
  };
  EXPECT_EQ(without_seconds((dir.path() / "trained-history.csv").string()),
            without_seconds((dir.path() / "at-once-history.csv").string()));
  const auto shorter = test::run_canveg(epochs("1") + " --output " + shell_quote(out) + " --resume", dir);
  EXPECT_EQ(shorter.exit_code, 1);
  EXPECT_NE(shorter.err.find("the checkpoint is after epoch 3, beyond --epochs 1"), std::string::npos) << shorter.err;
}

// JAX-CanVeg's training gradient holds tau_d and the soil's initial longwave fixed: the
// onestep-jax gradient equals the one-step gradient for every parameter except the two that act
// through them (clumping through tau_d, ep through the soil's initial longwave), which differ.
TEST(TrainGradient, JaxOneStepDiffersOnlyThroughTauAndInitialLongwave) {
  const TrainProblem p = problem("US-Hn1_Hybrid-1L-0.5.json");
  const ParameterSpace space = training_space(p.initial.model, {});
  GradientOptions o = small_options(1).gradient;
  const LossSpec loss{0.5, standard_scaler(p.observed)};
  o.method = FixedPointGradient::OneStep;
  const LossGradient ours = loss_and_gradient(p.initial.model, space, p.forcing, p.observed, loss, o);
  o.method = FixedPointGradient::JaxOneStep;
  const LossGradient jax = loss_and_gradient(p.initial.model, space, p.forcing, p.observed, loss, o);
  EXPECT_EQ(jax.loss, ours.loss);
  for (std::size_t k = 0; k < space.size(); ++k) {
    const std::string& n = space.name(k);
    if (n == "ep" || n == "leaf_clumping_factor") {
      EXPECT_GT(std::abs(jax.gradient[k] - ours.gradient[k]), 1e-6 * std::abs(ours.gradient[k])) << n;
    } else {
      EXPECT_NEAR(jax.gradient[k], ours.gradient[k], 1e-13 * std::abs(ours.gradient[k])) << n;
    }
  }
  EXPECT_EQ(parse_fixed_point_gradient("onestep-jax", "--method"), FixedPointGradient::JaxOneStep);
  EXPECT_THROW(parse_fixed_point_gradient("exact", "--method"), InputError);
}

// --seed: a fully specified draw, uniform in +-1/sqrt(fan-in) per layer.
TEST(TrainSeed, NetworkInitialisationIsSeededAndBounded) {
  const Model<double> m = read_model_json(test::trained("US-Hn1_Hybrid-1L-0.5.json")).model;
  DenseNet<double> a = m.leaf_rh_net, b = m.leaf_rh_net, c = m.leaf_rh_net;
  initialise_network(a, 7);
  initialise_network(b, 7);
  initialise_network(c, 8);
  EXPECT_EQ(a.w0, b.w0);
  EXPECT_EQ(a.b2, b.b2);
  EXPECT_NE(a.w1, c.w1);
  const int fan_in[3] = {a.in_size, a.width, a.width};
  const std::vector<double>* arrays[3][2] = {{&a.w0, &a.b0}, {&a.w1, &a.b1}, {&a.w2, &a.b2}};
  double sum = 0.0, n = 0.0;
  for (int l = 0; l < 3; ++l)
    for (const std::vector<double>* v : arrays[l])
      for (double x : *v) {
        EXPECT_LE(std::abs(x), 1.0 / std::sqrt(static_cast<double>(fan_in[l])));
        sum += x * std::sqrt(static_cast<double>(fan_in[l])), n += 1.0;
      }
  EXPECT_LT(std::abs(sum / n), 3.0 / std::sqrt(3.0 * n));  // mean of U(-1, 1) within 3 standard errors
}

// --validation-days: the last day of the 4-day window is held out; the model returned carries the
// parameters of the epoch with the lowest loss on it.
TEST(TrainValidation, KeepsTheEpochWithTheLowestValidationLoss) {
  const TrainProblem p = problem("US-Hn1_Hybrid-1L-0.5.json");
  TrainOptions o = small_options(4);
  o.learning_rate.initial = 0.01;  // large steps, so that the validation loss does not just fall
  o.validation_days = 1;
  const TrainResult r = train(p, o);
  ASSERT_EQ(r.epochs_run, 4);
  ASSERT_GE(r.best_epoch, 0);
  double lowest = 1e300;
  for (const EpochRecord& e : r.history) {
    ASSERT_TRUE(std::isfinite(e.validation_loss));
    lowest = std::min(lowest, e.validation_loss);
  }
  EXPECT_EQ(r.history[static_cast<std::size_t>(r.best_epoch)].validation_loss, lowest);
  const ParameterSpace space = training_space(r.model.model, {});
  EXPECT_EQ(space.values(r.model.model), r.history[static_cast<std::size_t>(r.best_epoch)].parameters);
  // 144 training rows: 2 batches of 64 (the remainder dropped); the held-out day is not trained on.
  TrainOptions none = small_options(1);
  TrainProblem first_three_days = p;
  first_three_days.forcing = p.forcing.slice(0, 144);
  first_three_days.observed = p.observed.slice(0, 144);
  o.epochs = 1;
  EXPECT_EQ(train(p, o).history[0].train_loss, train(first_three_days, none).history[0].train_loss);
  o.validation_days = 4;
  EXPECT_THROW(train(p, o), InputError);
}

// --test-every: the test loss after every N-th epoch and after the last, bit for bit the values
// of a training that evaluates it every epoch; the training itself does not change.
TEST(TrainTestLoss, EveryNthEpochAndTheLast) {
  TrainProblem p = problem("US-Hn1_PB-1L-0.5.json");
  const ForcingRecord test_forcing =
      read_forcing_csv(test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv")).slice(1000, 1000 + kRows);
  const ObservedFluxes test_observed =
      read_flux_csv(test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv")).slice(1000, 1000 + kRows);
  p.test_forcing = &test_forcing;
  p.test_observed = &test_observed;
  const TrainResult every = train(p, small_options(5));
  TrainOptions o = small_options(5);
  o.test_every = 2;
  const TrainResult some = train(p, o);
  ASSERT_EQ(every.history.size(), 5u);
  ASSERT_EQ(some.history.size(), 5u);
  for (std::size_t e = 0; e < 5; ++e) {
    SCOPED_TRACE(::testing::Message() << "epoch " << e);
    EXPECT_EQ(some.history[e].train_loss, every.history[e].train_loss);
    EXPECT_EQ(some.history[e].parameters, every.history[e].parameters);
    ASSERT_TRUE(std::isfinite(every.history[e].test_loss));
    if (e == 1 || e == 3 || e == 4)
      EXPECT_EQ(some.history[e].test_loss, every.history[e].test_loss);
    else
      EXPECT_TRUE(std::isnan(some.history[e].test_loss));
  }
  o.test_every = 0;
  expect_refused(p, o, "--test-every", "must be 1 or more");
}

// --exact-from: the epochs before it are those of the one-step training; from it on, those of an
// exact (unrolled) training started afresh (Adam's moments and step count) from the parameters
// reached, bit for bit. auto: the last learning-rate boundary, with the one-step method only.
TEST(TrainExactFrom, TheExactGradientWithAdamAfreshFromThatEpoch) {
  const TrainProblem p = problem("US-Hn1_PB-1L-0.5.json");
  TrainOptions o = small_options(4);
  o.exact_from = 2;
  const TrainResult switched = train(p, o);
  TrainOptions first = small_options(2);
  first.exact_from = kExactFromNever;
  first.keep = KeptParameters::Last;  // the parameters the switched run goes on from
  const TrainResult one_step = train(p, first);
  TrainProblem p2 = p;
  p2.initial = one_step.model;
  TrainOptions then = small_options(2);
  then.gradient.method = FixedPointGradient::Unrolled;
  then.exact_from = kExactFromNever;
  const TrainResult exact = train(p2, then);
  ASSERT_EQ(switched.history.size(), 4u);
  for (std::size_t e = 0; e < 4; ++e) {
    SCOPED_TRACE(::testing::Message() << "epoch " << e);
    const EpochRecord& want = e < 2 ? one_step.history[e] : exact.history[e - 2];
    EXPECT_EQ(switched.history[e].train_loss, want.train_loss);
    EXPECT_EQ(switched.history[e].parameters, want.parameters);
  }
  // The exact steps differ from the one-step ones.
  TrainOptions never = small_options(4);
  never.exact_from = kExactFromNever;
  EXPECT_NE(train(p, never).history[2].parameters, switched.history[2].parameters);

  TrainOptions automatic;
  EXPECT_EQ(exact_gradient_from(automatic), 200);
  automatic.learning_rate.boundaries = {10, 30};
  EXPECT_EQ(exact_gradient_from(automatic), 30);
  automatic.gradient.method = FixedPointGradient::JaxOneStep;
  EXPECT_EQ(exact_gradient_from(automatic), kExactFromNever);
  EXPECT_EQ(parse_exact_from("auto", "--exact-from"), kExactFromAuto);
  EXPECT_EQ(parse_exact_from("never", "--exact-from"), kExactFromNever);
  EXPECT_EQ(parse_exact_from("150", "--exact-from"), 150);
  for (const char* bad : {"-3", "2.5", "soon"}) EXPECT_THROW(parse_exact_from(bad, "--exact-from"), InputError) << bad;
  TrainOptions already = small_options(2);
  already.gradient.method = FixedPointGradient::Unrolled;
  already.exact_from = 1;
  expect_refused(p, already, "--exact-from", "the exact (unrolled) gradient already");
}

// The trained model takes the parameters of the lowest training loss the run evaluated: epoch k's
// parameters are scored by epoch k + 1's loss, the last ones by one more evaluation; with
// KeptParameters::Last, the last ones.
TEST(TrainKeep, TheLowestTrainingLossOrTheLast) {
  const TrainProblem p = problem("US-Hn1_Hybrid-1L-0.5.json");
  TrainOptions o = small_options(6);
  o.learning_rate.initial = 0.5;  // far too large: the loss rises after its first steps
  const TrainResult lowest = train(p, o);
  EXPECT_EQ(parse_kept_parameters("lowest", "--keep-epoch"), KeptParameters::LowestTrainingLoss);
  EXPECT_EQ(parse_kept_parameters(kept_parameters_name(KeptParameters::Last), "--keep-epoch"), KeptParameters::Last);
  EXPECT_THROW(parse_kept_parameters("best", "--keep-epoch"), InputError);
  o.keep = KeptParameters::Last;
  const TrainResult last = train(p, o);
  ASSERT_EQ(lowest.history.size(), 6u);
  const ParameterSpace space = training_space(p.initial.model, {});
  EXPECT_EQ(space.values(last.model.model), last.history.back().parameters);
  EXPECT_EQ(last.best_epoch, -1);
  EXPECT_TRUE(std::isnan(last.final_train_loss));
  // The loss after the last step is that of the model at the last parameters.
  LossSpec loss = o.loss;
  loss.scaler = standard_scaler(p.observed);
  EXPECT_NEAR(lowest.final_train_loss,
              loss_value(last.model.model, p.forcing, p.observed, loss, o.gradient), 1e-12 * lowest.final_train_loss);
  // The kept epoch is the arg-min of the scores.
  std::vector<double> score;
  for (std::size_t k = 0; k + 1 < 6; ++k) score.push_back(lowest.history[k + 1].train_loss);
  score.push_back(lowest.final_train_loss);
  const auto best = static_cast<int>(std::min_element(score.begin(), score.end()) - score.begin());
  ASSERT_LT(best, 5) << "the loss did not rise; the test needs a rising path";
  EXPECT_EQ(lowest.best_epoch, best);
  EXPECT_EQ(space.values(lowest.model.model), lowest.history[static_cast<std::size_t>(best)].parameters);
  EXPECT_NE(lowest.stop_reason.find("kept history row " + std::to_string(best) + "'s parameters"), std::string::npos)
      << lowest.stop_reason;
  // The two runs' paths are the same.
  for (std::size_t e = 0; e < 6; ++e) EXPECT_EQ(lowest.history[e].parameters, last.history[e].parameters);
  // Where the loss keeps falling, the last parameters are the lowest and the reason says nothing more.
  const TrainResult falling = train(p, small_options(3));
  ASSERT_LT(falling.final_train_loss, falling.history[2].train_loss);
  EXPECT_EQ(falling.best_epoch, 2);
  EXPECT_EQ(space.values(falling.model.model), falling.history[2].parameters);
  EXPECT_EQ(falling.stop_reason, "completed 3 epochs");
}
