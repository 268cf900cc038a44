#include "mbi/train/trainer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/rollout.hpp"

namespace mbi::train {
namespace {

using Clock = std::chrono::steady_clock;

// The epoch's own seeds: a resumed run draws exactly what an uninterrupted one would.
std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, int epoch) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch));
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  return order;
}

void set_lr(torch::optim::Adam& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

struct RunState {
  int epoch = 0;  // epochs completed
  double best_val = -1;
  int best_epoch = 0;
  double lr = 0;
  int since_best = 0;
  int since_lr_cut = 0;
};

nlohmann::json to_json(const RunState& s) {
  return {{"epoch", s.epoch},          {"best_val", s.best_val},         {"best_epoch", s.best_epoch},
          {"lr", s.lr},                {"since_best", s.since_best},     {"since_lr_cut", s.since_lr_cut}};
}

RunState from_json(const nlohmann::json& j) {
  RunState s;
  s.epoch = j.at("epoch");
  s.best_val = j.at("best_val");
  s.best_epoch = j.at("best_epoch");
  s.lr = j.at("lr");
  s.since_best = j.at("since_best");
  s.since_lr_cut = j.at("since_lr_cut");
  return s;
}

nlohmann::json to_json(const EpochLog& e) {
  return {{"epoch", e.epoch},
          {"loss", e.loss},
          {"nll", e.nll},
          {"baseline_mse", e.baseline_mse},
          {"reinforce", e.reinforce},
          {"train_accuracy", e.train_accuracy},
          {"val_accuracy", e.val_accuracy},
          {"lr", e.lr},
          {"seconds", e.seconds}};
}

}  // namespace

void fit_input_statistics(RamConfig& c, const ImageSet& train) {
  double sum = 0;
  double sum_sq = 0;
  std::uint8_t lo = 255;
  std::uint8_t hi = 0;
  for (const std::uint8_t p : train.pixels) {
    const double x = p / 255.0;
    sum += x;
    sum_sq += x * x;
    lo = std::min(lo, p);
    hi = std::max(hi, p);
  }
  const double n = static_cast<double>(train.pixels.size());
  c.norm_mean = static_cast<float>(sum / n);
  c.norm_std = static_cast<float>(std::sqrt(std::max(sum_sq / n - (sum / n) * (sum / n), 1e-12)));
  c.phi_lo = (static_cast<float>(lo) / 255.0F - c.norm_mean) / c.norm_std;
  c.phi_hi = (static_cast<float>(hi) / 255.0F - c.norm_mean) / c.norm_std;
  if (c.phi_hi <= c.phi_lo) c.phi_hi = c.phi_lo + 1.0F;
  c.image_rows = train.rows;
  c.image_cols = train.cols;
  c.classes = train.classes;
}

std::vector<int> predict(RamModel& model, const ImageSet& set, int batch,
                         const std::vector<std::size_t>* indices) {
  torch::NoGradGuard no_grad;
  model->eval();
  std::vector<std::size_t> all;
  if (indices == nullptr) {
    all.resize(set.count());
    std::iota(all.begin(), all.end(), std::size_t{0});
  }
  const std::vector<std::size_t>& order = indices == nullptr ? all : *indices;
  std::vector<int> out;
  out.reserve(order.size());
  for (std::size_t begin = 0; begin < order.size(); begin += static_cast<std::size_t>(batch)) {
    const std::size_t end = std::min(order.size(), begin + static_cast<std::size_t>(batch));
    const Batch b = make_batch(set, order, begin, end, model->config());
    const auto classes = rollout(model, b, {}).log_probs.argmax(1).to(torch::kCPU).to(torch::kInt32).contiguous();
    out.insert(out.end(), classes.data_ptr<std::int32_t>(), classes.data_ptr<std::int32_t>() + classes.numel());
  }
  return out;
}

double evaluate_accuracy(RamModel& model, const ImageSet& set, int batch) {
  const auto predicted = predict(model, set, batch);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == set.labels[i] ? 1 : 0;
  return 100.0 * static_cast<double>(correct) / static_cast<double>(std::max<std::size_t>(set.count(), 1));
}

namespace {

// The random draws of one global batch of `rows` images, in the order a single process has
// always drawn them (shifts, start locations, then each step's location noise): every rank
// draws them all from the epoch's stream and uses its own rows, so the stream, and with it
// a run resumed on another world size, does not depend on how many ranks share the batch.
struct BatchDraws {
  std::vector<std::pair<int, int>> shifts;  // [rows] when augmenting
  torch::Tensor start;                      // [rows, 2] when starts are random
  torch::Tensor noise;                      // [glimpses-1, rows, 2] standard normal
};

BatchDraws draw_batch(const RamConfig& config, const TrainOptions& opt, std::size_t rows, torch::Device device) {
  BatchDraws d;
  const auto b = static_cast<std::int64_t>(rows);
  if (opt.augment_shift > 0) {
    const auto span = opt.augment_shift * 2 + 1;
    const auto draws = torch::randint(span, {2 * b}, torch::kInt64);
    const auto* v = draws.data_ptr<std::int64_t>();
    for (std::size_t i = 0; i < rows; ++i)
      d.shifts.emplace_back(static_cast<int>(v[2 * i]) - opt.augment_shift,
                            static_cast<int>(v[2 * i + 1]) - opt.augment_shift);
  }
  if (opt.random_start)
    d.start = torch::rand({b, 2}) * 2.0 - 1.0;
  else if (config.start == StartPolicy::kRandom)
    d.start = start_locations(config, b);
  if (config.glimpses > 1) {
    std::vector<torch::Tensor> steps;
    for (int t = 0; t + 1 < config.glimpses; ++t)
      steps.push_back(torch::randn({b, 2}, torch::TensorOptions().dtype(torch::kFloat32).device(device)));
    d.noise = torch::stack(steps);
  }
  return d;
}

// Validation accuracy in percent: each rank classifies its share of the images and the
// ranks add up their correct counts.
double validation_accuracy(RamModel& model, const ImageSet& val, const Distributed& dist) {
  if (!dist.active()) return evaluate_accuracy(model, val);
  const RowRange mine = dist.shard(0, val.count());
  std::vector<std::size_t> rows(mine.size());
  std::iota(rows.begin(), rows.end(), mine.begin);
  const auto predicted = predict(model, val, 256, &rows);
  double correct = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) correct += predicted[i] == val.labels[rows[i]] ? 1 : 0;
  return 100.0 * dist.sum({correct})[0] / static_cast<double>(std::max<std::size_t>(val.count(), 1));
}

}  // namespace

double TrainResult::mean_epoch_seconds() const {
  if (log.empty()) return 0.0;
  double sum = 0;
  for (const EpochLog& e : log) sum += e.seconds;
  return sum / static_cast<double>(log.size());
}

TrainResult train_ram(RamModel& model, const ImageSet& train, const ImageSet& val,
                      const TrainOptions& opt) {
  namespace fs = std::filesystem;
  if (opt.run_dir.empty()) throw Error("--run-dir: a run folder is required");
  const Distributed alone;
  const Distributed& dist = opt.distributed != nullptr ? *opt.distributed : alone;
  // Only rank 0 touches the run folder: the others may run on machines without it.
  const bool main_rank = dist.is_main();
  if (main_rank) fs::create_directories(opt.run_dir);
  const fs::path state_path = opt.run_dir / "state.json";
  const fs::path last_path = opt.run_dir / "last.pt";
  const fs::path best_path = opt.run_dir / "best.pt";
  const fs::path optim_path = opt.run_dir / "optimizer.pt";
  const fs::path log_path = opt.run_dir / "log.jsonl";
  const torch::Device device = model->parameters().front().device();

  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(opt.lr));
  RunState state;
  state.lr = opt.lr;
  TrainResult result;
  std::string failure;  // rank 0's reason to stop, told to every rank so none waits for it
  if (main_rank && fs::exists(state_path)) {
    try {
      nlohmann::json saved;
      try {
        saved = nlohmann::json::parse(read_file(state_path));
        state = from_json(saved.at("state"));
      } catch (const nlohmann::json::exception& e) {
        throw Error(state_path.string() + ": corrupt run state (" + e.what() + "); delete the run folder to start over");
      }
      if (saved.at("config") != config_to_json(model->config()))
        throw Error(state_path.string() + ": run folder was made for another model configuration; use another --run-dir");
      load_parameters_into(last_path, model);
      try {
        torch::load(optimizer, optim_path.string());
      } catch (const c10::Error&) {
        throw Error(optim_path.string() + ": cannot read optimiser state; delete the run folder to start over");
      }
      if (fs::exists(log_path)) {
        std::ifstream in(log_path);
        std::string line;
        while (std::getline(in, line)) {
          const auto j = nlohmann::json::parse(line, nullptr, false);
          if (j.is_discarded() || j.value("epoch", 0) > state.epoch) continue;
          EpochLog e;
          e.epoch = j.value("epoch", 0);
          e.val_accuracy = j.value("val_accuracy", 0.0);
          result.log.push_back(e);
        }
      }
      spdlog::info("resuming {} after epoch {} (best validation {:.2f}% at epoch {})", opt.run_dir.string(),
                   state.epoch, state.best_val, state.best_epoch);
    } catch (const Error& e) {
      if (!dist.active()) throw;
      failure = e.what();
    }
  }
  if (dist.active()) {
    // The checkpoint holds the global state (weights, optimiser moments, epoch counters),
    // the same on every rank, so rank 0 hands it to any number of ranks.
    dist.broadcast_bytes(failure);
    if (!failure.empty()) throw Error(main_rank ? failure : "rank 0 stopped: " + failure);
    std::string state_bytes = main_rank && state.epoch > 0 ? to_json(state).dump() : std::string();
    dist.broadcast_bytes(state_bytes);
    if (!state_bytes.empty()) {
      std::string optim_bytes;
      if (main_rank) {
        std::ostringstream out;
        torch::save(optimizer, out);
        optim_bytes = out.str();
      }
      dist.broadcast_bytes(optim_bytes);
      if (!main_rank) {
        state = from_json(nlohmann::json::parse(state_bytes));
        std::istringstream in(optim_bytes);
        torch::load(optimizer, in);
      }
    }
    // From scratch too: every rank starts from rank 0's weights (or its --init).
    dist.broadcast_parameters(*model);
  }
  if (state.epoch > 0) set_lr(optimizer, state.lr);

  const RamConfig& config = model->config();
  const std::size_t n = train.count();
  const std::size_t batches = (n + static_cast<std::size_t>(opt.batch) - 1) / static_cast<std::size_t>(opt.batch);
  while (state.epoch < opt.epochs && state.since_best < opt.early_stop) {
    const int epoch = state.epoch + 1;
    const auto t0 = Clock::now();
    torch::manual_seed(opt.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    const auto order = epoch_order(n, opt.seed, epoch);
    model->train();
    double sum_loss = 0, sum_nll = 0, sum_mse = 0, sum_rl = 0, correct = 0;
    ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(opt.epochs), batches,
                    opt.progress && main_rank);
    for (std::size_t bi = 0; bi < batches; ++bi) {
      const std::size_t begin = bi * static_cast<std::size_t>(opt.batch);
      const std::size_t end = std::min(n, begin + static_cast<std::size_t>(opt.batch));
      const BatchDraws draws = draw_batch(config, opt, end - begin, device);
      const RowRange mine = dist.shard(begin, end);
      // This rank's sums of loss, NLL, baseline MSE and REINFORCE times rows, and its correct count.
      std::vector<double> sums(5, 0.0);
      optimizer.zero_grad();
      if (mine.size() > 0) {
        std::vector<std::pair<int, int>> shifts;
        if (!draws.shifts.empty())
          shifts.assign(draws.shifts.begin() + static_cast<std::ptrdiff_t>(mine.begin - begin),
                        draws.shifts.begin() + static_cast<std::ptrdiff_t>(mine.end - begin));
        const Batch batch = make_batch(train, order, mine.begin, mine.end, config, shifts.empty() ? nullptr : &shifts);
        const torch::Tensor labels = batch.labels.to(device);
        const auto rows = static_cast<std::int64_t>(mine.begin - begin);
        const auto count = static_cast<std::int64_t>(mine.size());
        RolloutOptions ro;
        ro.sample = true;
        if (draws.start.defined()) ro.start = draws.start.narrow(0, rows, count).to(device);
        if (draws.noise.defined()) ro.noise = draws.noise.narrow(1, rows, count);
        const auto out = rollout(model, batch, ro);
        const auto predicted = out.log_probs.argmax(1);
        const auto reward = predicted.eq(labels).to(torch::kFloat32);
        const auto nll = torch::nll_loss(out.log_probs, labels);
        torch::Tensor loss = nll;
        torch::Tensor mse = torch::zeros({}, torch::TensorOptions().device(device));
        torch::Tensor reinforce = torch::zeros({}, torch::TensorOptions().device(device));
        // Every term is a plain mean over the batch's images (the baseline is learned per
        // step, not a batch statistic), so a rank's mean weighted by its share of the rows,
        // summed over the ranks, is the global batch's mean.
        if (out.baselines.defined()) {
          const auto r = reward.unsqueeze(1).expand_as(out.baselines);
          mse = torch::mse_loss(out.baselines, r);
          reinforce = -(out.log_pi * (r - out.baselines.detach())).sum(1).mean();
          loss = loss + mse + opt.reinforce_weight * reinforce;
        }
        const double share = static_cast<double>(mine.size()) / static_cast<double>(end - begin);
        (share == 1.0 ? loss : loss * share).backward();
        const double w = static_cast<double>(mine.size());
        sums = {loss.item<double>() * w, nll.item<double>() * w, mse.item<double>() * w,
                reinforce.item<double>() * w, static_cast<double>(reward.sum().item<std::int64_t>())};
      }
      dist.sum_gradients(*model, sums);
      // A NaN or infinite loss would poison every parameter at the step it reaches: refuse it
      // before the step (on every rank, all seeing the global loss), with the checkpoints of
      // the last complete epoch left as they are.
      if (!std::isfinite(sums[0]))
        throw Error("training diverged: the loss is " + std::to_string(sums[0] / static_cast<double>(end - begin)) +
                    " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(bi + 1) + " of " +
                    std::to_string(batches) + "; " + opt.run_dir.string() +
                    " keeps the last complete epoch (lower --lr or --reinforce-weight)");
      optimizer.step();
      sum_loss += sums[0];
      sum_nll += sums[1];
      sum_mse += sums[2];
      sum_rl += sums[3];
      correct += sums[4];
      char suffix[96];
      std::snprintf(suffix, sizeof suffix, "loss %.4f acc %.2f%%", sum_loss / static_cast<double>(end),
                    100.0 * correct / static_cast<double>(end));
      bar.update(bi + 1, suffix);
    }
    EpochLog e;
    e.epoch = epoch;
    e.loss = sum_loss / static_cast<double>(n);
    e.nll = sum_nll / static_cast<double>(n);
    e.baseline_mse = sum_mse / static_cast<double>(n);
    e.reinforce = sum_rl / static_cast<double>(n);
    e.train_accuracy = 100.0 * correct / static_cast<double>(n);
    e.val_accuracy = validation_accuracy(model, val, dist);
    e.lr = state.lr;
    e.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    bar.finish();

    // Every rank keeps the same counters (they see the same global validation accuracy) and
    // so cuts the learning rate and stops at the same epoch; rank 0 alone writes.
    state.epoch = epoch;
    if (e.val_accuracy > state.best_val) {
      state.best_val = e.val_accuracy;
      state.best_epoch = epoch;
      state.since_best = 0;
      state.since_lr_cut = 0;
      if (main_rank)
        save_model(best_path, model, {{"epoch", epoch}, {"val_accuracy", e.val_accuracy}, {"command", opt.command}});
    } else {
      ++state.since_best;
      if (++state.since_lr_cut >= opt.lr_patience && state.lr * opt.lr_factor >= opt.min_lr) {
        state.lr *= opt.lr_factor;
        state.since_lr_cut = 0;
        set_lr(optimizer, state.lr);
        if (main_rank)
          spdlog::info("validation accuracy flat for {} epochs: learning rate now {:g}", opt.lr_patience, state.lr);
      }
    }
    if (main_rank) {
      // Optimiser and weights first, the state that points at them last.
      std::ostringstream optim_bytes;
      torch::save(optimizer, optim_bytes);
      write_file_atomic(optim_path, optim_bytes.str());
      save_model(last_path, model, {{"epoch", epoch}});
      {
        std::ofstream log(log_path, std::ios::app);
        log << to_json(e).dump() << '\n';
      }
      write_file_atomic(state_path,
                        nlohmann::json{{"state", to_json(state)}, {"config", config_to_json(model->config())}}.dump(2));
      spdlog::info("epoch {:3d}  loss {:.4f}  train {:.2f}%  val {:.2f}%  best {:.2f}% (epoch {})  lr {:g}  {:.1f}s",
                   epoch, e.loss, e.train_accuracy, e.val_accuracy, state.best_val, state.best_epoch, e.lr, e.seconds);
    }
    result.log.push_back(e);
  }
  if (state.since_best >= opt.early_stop && main_rank)
    spdlog::info("early stop: no better validation accuracy for {} epochs", opt.early_stop);
  if (main_rank) load_parameters_into(best_path, model);
  dist.broadcast_parameters(*model);
  result.best_val_accuracy = state.best_val;
  result.best_epoch = state.best_epoch;
  result.epochs_run = state.epoch;
  result.best_model = best_path;
  return result;
}

}  // namespace mbi::train
