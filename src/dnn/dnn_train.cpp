// Training the neural-network baseline (include/canveg/dnn.hpp), following JAX-CanVeg's
// shared_utilities/dnn.py::train_dnn as examples/<SITE>/train_dnns.py calls it: scalers fitted on
// the training data, one Adam step per shuffled mini-batch, the learning-rate schedule counted in
// steps, the losses over both periods after every epoch.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "canveg/dnn.hpp"
#include "canveg/errors.hpp"
#include "canveg/output_io.hpp"
#include "dnn/dnn_data.hpp"
#include "dnn/dnn_loss.hpp"
#include "train/seeded_random.hpp"

namespace canveg {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The batch order gets a stream of its own, so that it is not the initialisation's stream when both
// come from the same seed (new_dnn_model draws from SeededRandom(seed)).
constexpr std::uint64_t kShuffleStream = 0xD1B54A32D192ED03ull;

void check_dnn_problem(const DnnTrainProblem& p, const DnnTrainOptions& o) {
  if (o.epochs < 0) throw InputError("", 0, "--epochs", "must be 0 or more");
  if (o.batch_size == 0) throw InputError("", 0, "--batch-size", "must be 1 or more");
  if (!(o.learning_rate.initial > 0) || !(o.learning_rate.scale > 0))
    throw InputError("", 0, "--learning-rate", "the learning rate and its scale must be positive");
  const DenseNet<double>& net = p.initial.net;
  if (net.in_size != static_cast<int>(kDnnInputs) || net.out_size != 2 || net.width < 1 || net.width > nn::kMaxWidth ||
      net.w0.size() != static_cast<std::size_t>(net.width * net.in_size) || net.b2.size() != 2)
    throw InputError(p.initial.path, 0, "layers", "the network must map the 9 forcings to LE and NEE");
  check_training_data(o.le_weight, p.forcing, p.observed, o.batch_size, p.test_forcing, p.test_observed);
}

// The six arrays of a network, in a fixed order, for the element-wise Adam update.
std::array<std::vector<float>*, 6> arrays_of(DenseNet<float>& n) { return {&n.w0, &n.b0, &n.w1, &n.b1, &n.w2, &n.b2}; }

// optax.adam (scale_by_adam, then scale by -learning rate) for one step, in single precision as in
// JAX-CanVeg: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, and with the bias corrections of step t,
// theta -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
struct Adam {
  DenseNet<float> m, v;
  float b1, b2, eps;

  void step(DenseNet<float>& net, DenseNet<float>& grad, long t, double learning_rate) {
    const float correction1 = static_cast<float>(1.0 - std::pow(static_cast<double>(b1), static_cast<double>(t)));
    const float correction2 = static_cast<float>(1.0 - std::pow(static_cast<double>(b2), static_cast<double>(t)));
    const float lr = static_cast<float>(learning_rate);
    const auto params = arrays_of(net), grads = arrays_of(grad), ms = arrays_of(m), vs = arrays_of(v);
    for (std::size_t a = 0; a < params.size(); ++a) {
      for (std::size_t k = 0; k < params[a]->size(); ++k) {
        const float g = (*grads[a])[k];
        float& mk = (*ms[a])[k];
        float& vk = (*vs[a])[k];
        mk = (1.0f - b1) * g + b1 * mk;
        vk = (1.0f - b2) * (g * g) + b2 * vk;
        const float m_hat = mk / correction1, v_hat = vk / correction2;
        (*params[a])[k] -= lr * (m_hat / (std::sqrt(v_hat) + eps));
      }
    }
  }
};

double whole_period_loss(const DenseNet<float>& net, const dnn::StandardisedData<float>& data, double le_weight) {
  return dnn::batch_loss<float>(nn::view_of(net), data, nullptr, data.rows(), le_weight, nullptr);
}

}  // namespace

DnnModel new_dnn_model(const std::string& site_name, std::uint64_t seed, int width) {
  if (width < 1 || width > nn::kMaxWidth)
    throw InputError("", 0, "width", "the hidden width must lie in 1.." + std::to_string(nn::kMaxWidth));
  DnnModel m;
  m.site_name = site_name;
  DenseNet<double>& net = m.net;
  net.in_size = static_cast<int>(kDnnInputs);
  net.width = width;
  net.out_size = 2;
  net.hidden = Activation::Tanh;
  net.final = Activation::Identity;
  const auto size = [](int out, int in) { return static_cast<std::size_t>(out * in); };
  net.w0.resize(size(width, net.in_size)), net.b0.resize(size(width, 1));
  net.w1.resize(size(width, width)), net.b1.resize(size(width, 1));
  net.w2.resize(size(2, width)), net.b2.resize(size(2, 1));
  initialise_network(net, seed);
  // The network is single precision: round the draw now, so that the file holds what was trained.
  net = dnn::double_precision(dnn::single_precision(net));
  return m;
}

DnnTrainResult train_dnn(const DnnTrainProblem& problem, const DnnTrainOptions& options,
                         const DnnEpochCallback& on_epoch) {
  check_dnn_problem(problem, options);
  DnnModel model = problem.initial;
  fit_dnn_scalers(model, problem.forcing, problem.observed);
  const dnn::StandardisedData<float> train_data = dnn::standardise(model, problem.forcing, &problem.observed);
  dnn::StandardisedData<float> test_data;
  if (problem.test_forcing) test_data = dnn::standardise(model, *problem.test_forcing, problem.test_observed);
  const double w = options.le_weight;
  const auto test_loss = [&](const DenseNet<float>& net) {
    return problem.test_forcing ? whole_period_loss(net, test_data, w) : kNaN;
  };

  DenseNet<float> net = dnn::single_precision(model.net);
  DenseNet<float> grad = nn::zero_like(net);
  Adam adam{nn::zero_like(net), nn::zero_like(net), static_cast<float>(options.adam_b1),
            static_cast<float>(options.adam_b2), static_cast<float>(options.adam_eps)};
  SeededRandom shuffler(options.seed ^ kShuffleStream);
  std::vector<std::size_t> order(train_data.rows());
  std::iota(order.begin(), order.end(), std::size_t{0});

  DnnTrainResult result;
  result.initial_train_loss = whole_period_loss(net, train_data, w);
  result.initial_test_loss = test_loss(net);
  result.stop_reason = "completed " + std::to_string(options.epochs) + " epochs";
  long steps = 0;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const DenseNet<float> before = net;
    // One epoch: a fresh permutation, then batches in its order; the last batch holds the rows
    // left over (torch's DataLoader without drop_last, as JAX-CanVeg uses it).
    shuffler.shuffle(order);
    double learning_rate = 0.0;
    for (std::size_t first = 0; first < order.size(); first += options.batch_size) {
      const std::size_t n = std::min(options.batch_size, order.size() - first);
      dnn::batch_loss<float>(nn::view_of(net), train_data, &order[first], n, w, &grad);
      learning_rate = options.learning_rate.at(static_cast<int>(std::min<long>(steps, std::numeric_limits<int>::max())));
      adam.step(net, grad, steps + 1, learning_rate);
      ++steps;
    }
    DnnEpochRecord record;
    record.epoch = epoch;
    record.steps = steps;
    record.learning_rate = learning_rate;
    record.train_loss = whole_period_loss(net, train_data, w);
    record.test_loss = test_loss(net);
    record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.history.push_back(record);
    if (on_epoch) on_epoch(record);
    if (!std::isfinite(record.train_loss)) {
      net = before;
      result.stop_reason = "non-finite training loss after epoch " + std::to_string(epoch) +
                           "; kept the network of the epoch before";
      break;
    }
  }
  result.epochs_run = static_cast<int>(result.history.size());
  model.net = dnn::double_precision(net);
  model.trained_le_weight = w;
  model.reported = ReportedMetrics{};  // a published model's metrics describe another network
  model.path.clear();
  result.model = std::move(model);
  return result;
}

void write_dnn_train_history(const DnnTrainResult& result, const std::string& path) {
  io::AtomicOutputFile file(path);
  std::ostream& out = file.stream();
  out.precision(17);
  out << "epoch,steps,learning_rate,train_loss,test_loss,seconds\n";
  for (const DnnEpochRecord& r : result.history) {
    out << r.epoch << ',' << r.steps << ',' << r.learning_rate << ',' << r.train_loss << ',';
    if (std::isfinite(r.test_loss)) out << r.test_loss;
    out << ',' << r.seconds << '\n';
  }
  file.commit();
}

}  // namespace canveg
