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

TrainResult train_ram(RamModel& model, const ImageSet& train, const ImageSet& val,
                      const TrainOptions& opt) {
  namespace fs = std::filesystem;
  if (opt.run_dir.empty()) throw Error("--run-dir: a run folder is required");
  fs::create_directories(opt.run_dir);
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
  if (fs::exists(state_path)) {
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
    set_lr(optimizer, state.lr);
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
  }

  const std::size_t n = train.count();
  const std::size_t batches = (n + static_cast<std::size_t>(opt.batch) - 1) / static_cast<std::size_t>(opt.batch);
  while (state.epoch < opt.epochs && state.since_best < opt.early_stop) {
    const int epoch = state.epoch + 1;
    const auto t0 = Clock::now();
    torch::manual_seed(opt.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    const auto order = epoch_order(n, opt.seed, epoch);
    model->train();
    double sum_loss = 0, sum_nll = 0, sum_mse = 0, sum_rl = 0;
    std::int64_t correct = 0;
    ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(opt.epochs), batches, opt.progress);
    for (std::size_t bi = 0; bi < batches; ++bi) {
      const std::size_t begin = bi * static_cast<std::size_t>(opt.batch);
      const std::size_t end = std::min(n, begin + static_cast<std::size_t>(opt.batch));
      std::vector<std::pair<int, int>> shifts;
      if (opt.augment_shift > 0) {
        const auto span = opt.augment_shift * 2 + 1;
        const auto draws = torch::randint(span, {static_cast<std::int64_t>(2 * (end - begin))}, torch::kInt64);
        const auto* d = draws.data_ptr<std::int64_t>();
        for (std::size_t i = 0; i < end - begin; ++i)
          shifts.emplace_back(static_cast<int>(d[2 * i]) - opt.augment_shift,
                              static_cast<int>(d[2 * i + 1]) - opt.augment_shift);
      }
      const Batch batch = make_batch(train, order, begin, end, model->config(), shifts.empty() ? nullptr : &shifts);
      const torch::Tensor labels = batch.labels.to(device);
      RolloutOptions ro;
      ro.sample = true;
      if (opt.random_start)
        ro.start = (torch::rand({static_cast<std::int64_t>(end - begin), 2}) * 2.0 - 1.0).to(device);
      const auto out = rollout(model, batch, ro);
      const auto predicted = out.log_probs.argmax(1);
      const auto reward = predicted.eq(labels).to(torch::kFloat32);
      const auto nll = torch::nll_loss(out.log_probs, labels);
      torch::Tensor loss = nll;
      torch::Tensor mse = torch::zeros({}, torch::TensorOptions().device(device));
      torch::Tensor reinforce = torch::zeros({}, torch::TensorOptions().device(device));
      if (out.baselines.defined()) {
        const auto r = reward.unsqueeze(1).expand_as(out.baselines);
        mse = torch::mse_loss(out.baselines, r);
        reinforce = -(out.log_pi * (r - out.baselines.detach())).sum(1).mean();
        loss = loss + mse + opt.reinforce_weight * reinforce;
      }
      // A NaN or infinite loss would poison every parameter at the step it reaches: refuse it
      // before the step, with the checkpoints of the last complete epoch left as they are.
      const double batch_loss = loss.item<double>();
      if (!std::isfinite(batch_loss))
        throw Error("training diverged: the loss is " + std::to_string(batch_loss) + " at epoch " +
                    std::to_string(epoch) + ", batch " + std::to_string(bi + 1) + " of " + std::to_string(batches) +
                    "; " + opt.run_dir.string() + " keeps the last complete epoch (lower --lr or --reinforce-weight)");
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      const double w = static_cast<double>(end - begin);
      sum_loss += batch_loss * w;
      sum_nll += nll.item<double>() * w;
      sum_mse += mse.item<double>() * w;
      sum_rl += reinforce.item<double>() * w;
      correct += reward.sum().item<std::int64_t>();
      char suffix[96];
      std::snprintf(suffix, sizeof suffix, "loss %.4f acc %.2f%%", sum_loss / static_cast<double>(end),
                    100.0 * static_cast<double>(correct) / static_cast<double>(end));
      bar.update(bi + 1, suffix);
    }
    EpochLog e;
    e.epoch = epoch;
    e.loss = sum_loss / static_cast<double>(n);
    e.nll = sum_nll / static_cast<double>(n);
    e.baseline_mse = sum_mse / static_cast<double>(n);
    e.reinforce = sum_rl / static_cast<double>(n);
    e.train_accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(n);
    e.val_accuracy = evaluate_accuracy(model, val);
    e.lr = state.lr;
    e.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    bar.finish();

    state.epoch = epoch;
    if (e.val_accuracy > state.best_val) {
      state.best_val = e.val_accuracy;
      state.best_epoch = epoch;
      state.since_best = 0;
      state.since_lr_cut = 0;
      save_model(best_path, model, {{"epoch", epoch}, {"val_accuracy", e.val_accuracy}, {"command", opt.command}});
    } else {
      ++state.since_best;
      if (++state.since_lr_cut >= opt.lr_patience && state.lr * opt.lr_factor >= opt.min_lr) {
        state.lr *= opt.lr_factor;
        state.since_lr_cut = 0;
        set_lr(optimizer, state.lr);
        spdlog::info("validation accuracy flat for {} epochs: learning rate now {:g}", opt.lr_patience, state.lr);
      }
    }
    // Optimiser and weights first, the state that points at them last.
    std::ostringstream optim_bytes;
    torch::save(optimizer, optim_bytes);
    write_file_atomic(optim_path, optim_bytes.str());
    save_model(last_path, model, {{"epoch", epoch}});
    {
      std::ofstream log(log_path, std::ios::app);
      log << to_json(e).dump() << '\n';
    }
    write_file_atomic(state_path, nlohmann::json{{"state", to_json(state)}, {"config", config_to_json(model->config())}}.dump(2));
    spdlog::info("epoch {:3d}  loss {:.4f}  train {:.2f}%  val {:.2f}%  best {:.2f}% (epoch {})  lr {:g}  {:.1f}s",
                 epoch, e.loss, e.train_accuracy, e.val_accuracy, state.best_val, state.best_epoch, e.lr, e.seconds);
    result.log.push_back(e);
  }
  if (state.since_best >= opt.early_stop)
    spdlog::info("early stop: no better validation accuracy for {} epochs", opt.early_stop);
  load_parameters_into(best_path, model);
  result.best_val_accuracy = state.best_val;
  result.best_epoch = state.best_epoch;
  result.epochs_run = state.epoch;
  result.best_model = best_path;
  return result;
}

}  // namespace mbi::train
