#include "mbi/train/ternary_training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/train/image_tensors.hpp"

namespace mbi::train {
namespace {

constexpr std::int64_t kAlways = -(std::int64_t{1} << 62);  // a threshold every sum reaches
constexpr std::int64_t kNever = std::int64_t{1} << 62;      // one no sum reaches

// A batch norm in eval mode as y = inv x + offset, in double: inv = gamma / sqrt(var + eps),
// offset = beta - mean inv.
struct FoldedNorm {
  torch::Tensor inv, offset;
};
template <typename Norm>
FoldedNorm fold(const Norm& bn) {
  const torch::Tensor inv = bn->weight.to(torch::kFloat64) / torch::sqrt(bn->running_var.to(torch::kFloat64) + bn->options.eps());
  return {inv, bn->bias.to(torch::kFloat64) - bn->running_mean.to(torch::kFloat64) * inv};
}
constexpr int kKernel = 5;

// The clip of a PACT activation, kept away from 0 so the levels stay apart.
torch::Tensor clip_value(const torch::Tensor& clip) { return clip.clamp_min(0.01); }

}  // namespace

TernaryWeights ternarize(const torch::Tensor& w, bool per_channel) {
  torch::NoGradGuard no_grad;
  const torch::Tensor flat = per_channel ? w.reshape({w.size(0), -1}) : w.reshape({1, -1});
  const torch::Tensor magnitude = flat.abs();
  const torch::Tensor delta = 0.7 * magnitude.mean(1, true);
  const torch::Tensor kept = (magnitude > delta).to(torch::kFloat32);
  const torch::Tensor alpha = (magnitude * kept).sum(1) / kept.sum(1).clamp_min(1.0);
  const torch::Tensor signs = (flat.sign() * kept).reshape(w.sizes()).to(torch::kInt8);
  return {signs, alpha};
}

TernaryNetImpl::TernaryNetImpl(const TernaryArchitecture& architecture, int rows, int cols, int classes)
    : architecture_(architecture), rows_(rows), cols_(cols), classes_(classes) {
  if (architecture.kind != "cnn" && architecture.kind != "mlp")
    throw Error("ternary network: architecture '" + architecture.kind + "' (expected cnn or mlp)");
  if (architecture.activation_bits < 1 || architecture.activation_bits > 8)
    throw Error("ternary network: activation bits must be 1 to 8");
  std::int64_t channels = 1, r = rows, c = cols;
  int index = 0;
  const auto add_block = [&](Block b) {
    b.clip = register_parameter("clip" + std::to_string(index), torch::full({1}, 3.0));
    ++index;
    blocks_.push_back(std::move(b));
  };
  if (architecture.kind == "cnn") {
    for (std::size_t i = 0; i < architecture.conv_channels.size(); ++i) {
      // The first convolution keeps the image size (padding 2); later ones shrink it as
      // LeNet-5's does, unless the map is too small to pool afterwards.
      const int padding = i == 0 || r - kKernel + 1 < 2 || c - kKernel + 1 < 2 ? kKernel / 2 : 0;
      Block b;
      b.conv = true;
      b.padding = padding;
      b.conv_layer = register_module("conv" + std::to_string(i),
                                     torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, architecture.conv_channels[i], kKernel)
                                                           .padding(padding)
                                                           .bias(false)));
      b.bn2 = register_module("bn" + std::to_string(index), torch::nn::BatchNorm2d(architecture.conv_channels[i]));
      channels = architecture.conv_channels[i];
      r = r + 2 * padding - kKernel + 1;
      c = c + 2 * padding - kKernel + 1;
      b.pool = r >= 2 && c >= 2;
      if (b.pool) r /= 2, c /= 2;
      if (r < 1 || c < 1) throw Error("ternary network: images too small for the convolutions");
      add_block(std::move(b));
    }
  }
  std::int64_t inputs = channels * r * c;
  for (std::size_t i = 0; i < architecture.hidden.size(); ++i) {
    Block b;
    b.dense_layer = register_module("fc" + std::to_string(i),
                                    torch::nn::Linear(torch::nn::LinearOptions(inputs, architecture.hidden[i]).bias(false)));
    b.bn1 = register_module("bn" + std::to_string(index), torch::nn::BatchNorm1d(architecture.hidden[i]));
    inputs = architecture.hidden[i];
    add_block(std::move(b));
  }
  last_ = register_module("last", torch::nn::Linear(torch::nn::LinearOptions(inputs, classes).bias(false)));
}

void TernaryNetImpl::set_weight_noise(const WeightNoise& noise) {
  if (noise.kind != WeightNoise::Kind::none && !architecture_.float_baseline)
    throw Error("weight noise in training is for float networks");
  if (noise.kind == WeightNoise::Kind::device &&
      (noise.mean.size() < 2 || noise.mean.size() != noise.stddev.size()))
    throw Error("device weight noise: a mean and a spread for at least 2 magnitudes");
  if (noise.kind == WeightNoise::Kind::gaussian && !(noise.sigma >= 0 && std::isfinite(noise.sigma)))
    throw Error("gaussian weight noise: sigma must be >= 0");
  noise_ = noise;
  if (noise.kind == WeightNoise::Kind::device) {
    noise_mean_ = torch::tensor(noise.mean, torch::kFloat32);
    noise_stddev_ = torch::tensor(noise.stddev, torch::kFloat32);
  }
}

torch::Tensor TernaryNetImpl::weight_used(const torch::Tensor& w, bool per_channel, std::int64_t positions) {
  if (architecture_.float_baseline) {
    const torch::Tensor flat = w.reshape({w.size(0), -1});
    const torch::Tensor largest = flat.abs().amax(1, true).detach().clamp_min(1e-12);  // the column's scale
    const torch::Tensor u = flat.abs() / largest;
    if (is_training()) {
      // The read charge of this layer: every weight read once per output position.
      const torch::Tensor sum = u.sum() * static_cast<double>(positions);
      mapped_sum_ = mapped_sum_.defined() ? mapped_sum_ + sum : sum;
      mapped_count_ += static_cast<double>(flat.numel()) * static_cast<double>(positions);
    }
    if (!is_training() || noise_.kind == WeightNoise::Kind::none) return w;
    torch::Tensor noisy;
    if (noise_.kind == WeightNoise::Kind::gaussian) {
      noisy = flat + noise_.sigma * largest * torch::randn_like(flat);
    } else {
      // Linear interpolation of the device's table at each weight's magnitude.
      const auto points = noise_mean_.size(0);
      const torch::Tensor at = u.detach().clamp(0, 1) * static_cast<double>(points - 1);
      const torch::Tensor low = at.floor().clamp(0, static_cast<double>(points - 2)).to(torch::kLong);
      const torch::Tensor f = at - low.to(torch::kFloat32);
      const auto lerp = [&](const torch::Tensor& table) {
        return table.take(low) * (1 - f) + table.take(low + 1) * f;
      };
      noisy = flat.sign() * (lerp(noise_mean_) + lerp(noise_stddev_) * torch::randn_like(flat)) * largest;
    }
    return w + (noisy.reshape(w.sizes()) - w).detach();  // noise forward, gradient straight through
  }
  const TernaryWeights t = ternarize(w, per_channel);
  std::vector<std::int64_t> shape(static_cast<std::size_t>(w.dim()), 1);
  shape[0] = per_channel ? w.size(0) : 1;
  const torch::Tensor quantized = t.signs.to(torch::kFloat32) * t.alpha.reshape(shape);
  return w + (quantized - w).detach();  // straight-through
}

torch::Tensor TernaryNetImpl::activate(const Block& b, const torch::Tensor& x) const {
  if (architecture_.float_baseline) return torch::relu(x);
  const torch::Tensor c = clip_value(b.clip);
  const torch::Tensor a = torch::relu(x) - torch::relu(x - c);  // clip to [0, c], gradient to c above it
  const double steps = (1 << architecture_.activation_bits) - 1;
  const torch::Tensor step = c / steps;
  const torch::Tensor q = torch::round(a / step) * step;
  return a + (q - a).detach();
}

torch::Tensor TernaryNetImpl::forward(const torch::Tensor& pixels) {
  const double steps = (1 << architecture_.activation_bits) - 1;
  mapped_sum_ = torch::Tensor();
  mapped_count_ = 0;
  torch::Tensor x = pixels / 255.0;
  if (!architecture_.float_baseline) x = torch::round(x * steps) / steps;
  if (architecture_.kind == "cnn") x = x.reshape({-1, 1, rows_, cols_});
  for (Block& b : blocks_) {
    if (b.conv) {
      const std::int64_t out_rows = x.size(2) + 2 * b.padding - kKernel + 1, out_cols = x.size(3) + 2 * b.padding - kKernel + 1;
      x = torch::conv2d(x, weight_used(b.conv_layer->weight, true, out_rows * out_cols), {}, 1, b.padding);
      x = activate(b, b.bn2->forward(x));
      if (b.pool) x = torch::max_pool2d(x, 2);
    } else {
      if (x.dim() > 2) x = x.flatten(1);
      x = activate(b, b.bn1->forward(torch::linear(x, weight_used(b.dense_layer->weight, true, 1))));
    }
  }
  if (x.dim() > 2) x = x.flatten(1);
  torch::Tensor logits = torch::linear(x, weight_used(last_->weight, false, 1));
  mapped_conductance_ = mapped_sum_.defined() ? mapped_sum_ / mapped_count_ : torch::zeros({});
  return logits;
}

cim::FloatNetwork TernaryNetImpl::export_float_network(const std::string& name) const {
  if (!architecture_.float_baseline) throw Error("a ternary network exports its integer form (export_network)");
  torch::NoGradGuard no_grad;
  cim::FloatNetwork n;
  n.name = name;
  n.input = {1, rows_, cols_};
  n.input_scale = 1.0F / 255.0F;
  const auto floats = [](const torch::Tensor& t) {
    const torch::Tensor c = t.to(torch::kFloat32).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  for (const Block& b : blocks_) {
    const torch::Tensor w = (b.conv ? b.conv_layer->weight : b.dense_layer->weight).to(torch::kFloat64);
    // Batch norm in eval mode folded: gamma (W x - mean) / sqrt(var + eps) + beta.
    const auto [inv, offset] = b.conv ? fold(b.bn2) : fold(b.bn1);
    std::vector<std::int64_t> shape(static_cast<std::size_t>(w.dim()), 1);
    shape[0] = w.size(0);
    cim::FloatLayer l;
    l.kind = b.conv ? ternary::LayerKind::conv : ternary::LayerKind::dense;
    l.out_channels = static_cast<int>(w.size(0));
    if (b.conv) {
      l.kernel = kKernel;
      l.padding = b.padding;
    }
    l.weights = floats(w * inv.reshape(shape));
    l.bias = floats(offset);
    l.relu = true;
    n.layers.push_back(std::move(l));
    if (b.pool) n.layers.push_back({.kind = ternary::LayerKind::max_pool, .kernel = 2});
  }
  cim::FloatLayer last;
  last.kind = ternary::LayerKind::dense;
  last.out_channels = classes_;
  last.weights = floats(last_->weight);
  n.layers.push_back(std::move(last));
  n.validate();
  return n;
}

ternary::Network TernaryNetImpl::export_network(const std::string& name) const {
  if (architecture_.float_baseline) throw Error("a float baseline has no integer network to export");
  torch::NoGradGuard no_grad;
  const int bits = architecture_.activation_bits;
  const int steps = (1 << bits) - 1;
  ternary::Network n;
  n.name = name;
  n.input = {1, rows_, cols_};
  n.activation_bits = bits;
  for (int k = 1; k <= steps; ++k)  // round(p / 255 * steps) >= k  <=>  p >= 255 (k - 1/2) / steps
    n.input_thresholds.push_back(static_cast<std::int64_t>(std::ceil(255.0 * (k - 0.5) / steps)));
  double input_step = 1.0 / steps;  // the value of one level of the layer's input
  for (const Block& b : blocks_) {
    const torch::Tensor w = b.conv ? b.conv_layer->weight : b.dense_layer->weight;
    const TernaryWeights t = ternarize(w, true);
    ternary::Layer l;
    l.kind = b.conv ? ternary::LayerKind::conv : ternary::LayerKind::dense;
    l.out_channels = static_cast<int>(w.size(0));
    if (b.conv) {
      l.kernel = kKernel;
      l.padding = b.padding;
    }
    const torch::Tensor signs = t.signs.contiguous();
    l.weights.assign(signs.data_ptr<std::int8_t>(), signs.data_ptr<std::int8_t>() + signs.numel());
    // Batch norm in eval mode: u = gamma (z - mean) / sqrt(var + eps) + beta, z = alpha * step * sum.
    const auto [inv, offset] = b.conv ? fold(b.bn2) : fold(b.bn1);  // u = inv z + offset
    const torch::Tensor slope = t.alpha.to(torch::kFloat64) * input_step * inv;  // A; offset is B
    const double c = clip_value(b.clip).item<double>();
    const double step = c / steps;
    l.has_activation = true;
    for (int o = 0; o < l.out_channels; ++o) {
      const double a = slope[o].item<double>(), off = offset[o].item<double>();
      l.rising.push_back(a >= 0 ? 1 : 0);
      for (int k = 1; k <= steps; ++k) {
        // Level >= k  <=>  a * sum + off >= (k - 1/2) step.
        const double bound = (k - 0.5) * step - off;
        double t_k;
        if (a == 0)
          t_k = bound <= 0 ? static_cast<double>(kAlways) : static_cast<double>(kNever);
        else
          t_k = a > 0 ? std::ceil(bound / a) : std::floor(bound / a);
        t_k = std::clamp(t_k, static_cast<double>(kAlways), static_cast<double>(kNever));
        l.thresholds.push_back(static_cast<std::int64_t>(t_k));
      }
    }
    n.layers.push_back(std::move(l));
    if (b.pool) n.layers.push_back({.kind = ternary::LayerKind::max_pool, .kernel = 2});
    input_step = step;
  }
  const TernaryWeights t = ternarize(last_->weight, false);
  ternary::Layer last;
  last.kind = ternary::LayerKind::dense;
  last.out_channels = classes_;
  const torch::Tensor signs = t.signs.contiguous();
  last.weights.assign(signs.data_ptr<std::int8_t>(), signs.data_ptr<std::int8_t>() + signs.numel());
  n.layers.push_back(std::move(last));
  n.validate();
  return n;
}

double ternary_accuracy(TernaryNet& model, const ImageSet& images) {
  if (images.count() == 0) return 0;
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const torch::Tensor x = to_pixels(images), y = to_labels(images);
  std::int64_t correct = 0;
  for (std::int64_t begin = 0; begin < x.size(0); begin += 1000) {
    const std::int64_t end = std::min<std::int64_t>(begin + 1000, x.size(0));
    correct += model->forward(x.slice(0, begin, end)).argmax(1).eq(y.slice(0, begin, end)).sum().item<std::int64_t>();
  }
  model->train(was_training);
  return 100.0 * static_cast<double>(correct) / static_cast<double>(images.count());
}

TernaryTrainResult train_ternary(const TernaryArchitecture& architecture, const TernaryTrainOptions& opt,
                                 const ImageSet& train_set, const ImageSet& val_set) {
  if (train_set.count() == 0) throw Error("ternary training: no training images");
  if (opt.epochs < 1 || opt.batch < 1) throw Error("ternary training: epochs and batch must be positive");
  if (opt.from_float_epochs < 0 || !(opt.distill_alpha >= 0 && opt.distill_alpha <= 1) ||
      !(opt.distill_temperature > 0 && std::isfinite(opt.distill_temperature)))
    throw Error("ternary training: float epochs must be >= 0, the distillation alpha in [0, 1], its temperature > 0");
  torch::manual_seed(opt.seed);
  const int classes = std::max(train_set.classes, val_set.classes);
  TernaryNet model(architecture, train_set.rows, train_set.cols, classes);
  if (!(opt.energy_regularization >= 0 && std::isfinite(opt.energy_regularization)))
    throw Error("ternary training: the energy regularization must be >= 0");
  if (opt.energy_regularization > 0 && !architecture.float_baseline)
    throw Error("the energy regularization is for float networks");
  model->set_weight_noise(opt.weight_noise);
  TernaryTrainResult result;
  TernaryNet teacher{nullptr};
  if (opt.from_float_epochs > 0 && !architecture.float_baseline) {
    // The same network in float first; its weights and batch norms are the ternary start
    // (the ternary weights take their scale from them), and it teaches.
    TernaryArchitecture float_architecture = architecture;
    float_architecture.float_baseline = true;
    TernaryTrainOptions float_options = opt;
    float_options.epochs = opt.from_float_epochs;
    float_options.from_float_epochs = 0;
    float_options.weight_noise = {};
    float_options.energy_regularization = 0;
    TernaryTrainResult start = train_ternary(float_architecture, float_options, train_set, val_set);
    {
      torch::NoGradGuard no_grad;
      const auto from_p = start.model->parameters(), from_b = start.model->buffers();
      auto to_p = model->parameters(), to_b = model->buffers();
      for (std::size_t i = 0; i < to_p.size(); ++i) to_p[i].copy_(from_p[i]);
      for (std::size_t i = 0; i < to_b.size(); ++i) to_b[i].copy_(from_b[i]);
    }
    teacher = start.model;
    teacher->eval();
    result.float_model = start.model;
    result.float_val_accuracy = start.best_val_accuracy;
    result.float_log = std::move(start.log);
  }
  // PACT's clips learn without weight decay; weights as asked.
  std::vector<torch::Tensor> weights, clips;
  for (const auto& p : model->named_parameters()) (p.key().rfind("clip", 0) == 0 ? clips : weights).push_back(p.value());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(weights, std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(opt.lr).weight_decay(opt.weight_decay)));
  groups.emplace_back(clips, std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(opt.lr)));
  torch::optim::Adam optimizer(std::move(groups), torch::optim::AdamOptions(opt.lr));

  std::vector<torch::Tensor> best;  // parameters and buffers of the best epoch
  const auto state = [&] {
    std::vector<torch::Tensor> s;
    for (const auto& p : model->parameters()) s.push_back(p.detach().clone());
    for (const auto& b : model->buffers()) s.push_back(b.detach().clone());
    return s;
  };
  const auto restore = [&](const std::vector<torch::Tensor>& s) {
    torch::NoGradGuard no_grad;
    std::size_t i = 0;
    for (auto& p : model->parameters()) p.copy_(s[i++]);
    for (auto& b : model->buffers()) b.copy_(s[i++]);
  };
  const torch::Tensor val_x = to_pixels(val_set), val_y = to_labels(val_set);
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    set_cosine_lr(optimizer, opt.lr, epoch, opt.epochs);
    const ImageSet epoch_set =
        opt.augment_shift > 0 ? shifted_copy(train_set, opt.augment_shift, opt.seed * 1000003ULL + epoch) : train_set;
    const torch::Tensor x = to_pixels(epoch_set), y = to_labels(epoch_set);
    torch::manual_seed(opt.seed * 7919ULL + static_cast<std::uint64_t>(epoch));
    const torch::Tensor order = torch::randperm(x.size(0), torch::kLong);
    const std::int64_t batches = (x.size(0) + opt.batch - 1) / opt.batch;
    model->train();
    ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(opt.epochs), static_cast<std::size_t>(batches),
                    opt.progress);
    double loss_sum = 0, mapped_sum = 0;
    std::int64_t correct = 0;
    for (std::int64_t b = 0; b < batches; ++b) {
      const torch::Tensor idx = order.slice(0, b * opt.batch, std::min<std::int64_t>((b + 1) * opt.batch, x.size(0)));
      const torch::Tensor batch_x = x.index_select(0, idx);
      const torch::Tensor logits = model->forward(batch_x);
      const torch::Tensor labels = y.index_select(0, idx);
      torch::Tensor loss;
      if (teacher) {
        torch::Tensor taught;
        {
          torch::NoGradGuard no_grad;
          taught = teacher->forward(batch_x);
        }
        loss = distillation_loss(logits, taught, labels, opt.distill_alpha, opt.distill_temperature);
      } else {
        loss = torch::nn::functional::cross_entropy(logits, labels);
      }
      if (architecture.float_baseline) {
        const torch::Tensor mapped = model->mapped_conductance();
        mapped_sum += mapped.item<double>() * static_cast<double>(idx.size(0));
        if (opt.energy_regularization > 0) loss = loss + opt.energy_regularization * mapped;
      }
      const double value = optimizer_step(optimizer, loss, "ternary training", epoch);
      loss_sum += value * static_cast<double>(idx.size(0));
      correct += logits.argmax(1).eq(labels).sum().item<std::int64_t>();
      bar.update(static_cast<std::size_t>(b + 1));
    }
    TernaryEpoch e;
    e.epoch = epoch;
    e.loss = loss_sum / static_cast<double>(x.size(0));
    e.train_accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(x.size(0));
    e.mapped_conductance = mapped_sum / static_cast<double>(x.size(0));
    e.val_accuracy = ternary_accuracy(model, val_set);
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char suffix[128];
    std::snprintf(suffix, sizeof suffix, "loss %.4f, train %.2f%%, val %.2f%%", e.loss, e.train_accuracy, e.val_accuracy);
    bar.finish(suffix);
    result.log.push_back(e);
    if (best.empty() || e.val_accuracy > result.best_val_accuracy) {
      result.best_val_accuracy = e.val_accuracy;
      result.best_epoch = epoch;
      best = state();
    }
  }
  restore(best);
  model->eval();
  result.model = model;
  return result;
}

}  // namespace mbi::train
