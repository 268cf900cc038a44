#include "mbi/train/generated_training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/train/image_tensors.hpp"

namespace mbi::train {
namespace {

using mlg::OpKind;

// The k-bit levels scale (2 c / (2^k - 1) - 1), computed by mlg itself so that LibTorch and the
// in-situ inference hold the same floats.
torch::Tensor level_values(int bits, float scale) {
  mlg::StoredTensor t;
  t.bits = bits;
  t.scale = scale;
  const int count = 1 << bits;
  for (int c = 0; c < count; ++c) t.codes.push_back(static_cast<std::uint8_t>(c));
  std::vector<float> v(static_cast<std::size_t>(count));
  for (int c = 0; c < count; ++c) v[static_cast<std::size_t>(c)] = t.value(static_cast<std::size_t>(c));
  return torch::tensor(v);
}

torch::Tensor stored_values(const mlg::StoredTensor& t, std::vector<std::int64_t> shape) {
  std::vector<float> v(t.size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = t.value(i);
  return torch::tensor(v).view(shape);
}

mlg::StoredTensor to_stored(const torch::Tensor& x, int bits) {
  mlg::StoredTensor t;
  t.bits = bits;
  if (bits == 32) {
    const torch::Tensor c = x.detach().to(torch::kFloat32).contiguous();
    t.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return t;
  }
  torch::Tensor codes;
  float scale = 0;
  quantize_stored(x.detach(), bits, &codes, &scale);
  codes = codes.contiguous();
  t.scale = scale;
  t.codes.assign(codes.data_ptr<std::uint8_t>(), codes.data_ptr<std::uint8_t>() + codes.numel());
  return t;
}

std::vector<float> to_floats(const torch::Tensor& x) {
  const torch::Tensor c = x.detach().to(torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

torch::Tensor gram_error(const torch::Tensor& gram) {
  const std::int64_t n = gram.size(-1);
  return torch::mse_loss(gram, torch::eye(n).expand_as(gram));
}

}  // namespace

torch::Tensor quantize_stored(const torch::Tensor& x, int bits, torch::Tensor* codes, float* scale) {
  if (bits == 32) return x;
  if (bits < 1 || bits > 8) throw Error("quantizer: bits must be 1..8 or 32, not " + std::to_string(bits));
  const double top = static_cast<double>((1 << bits) - 1);
  const torch::Tensor t = torch::tanh(x);
  const torch::Tensor largest = t.detach().abs().max().clamp_min(1e-12);
  const torch::Tensor raw = (t / largest + 1) * (0.5 * top);
  const torch::Tensor code = torch::round(raw.detach()).clamp(0, top);
  const float s = x.detach().abs().max().item<float>();
  if (codes != nullptr) *codes = code.to(torch::kUInt8);
  if (scale != nullptr) *scale = s;
  const torch::Tensor exact = level_values(bits, s).index_select(0, code.flatten().to(torch::kLong)).view(x.sizes());
  const torch::Tensor soft = s * (raw * (2.0 / top) - 1);
  // Forward: exactly the stored levels; backward: the gradient of the unrounded value.
  return exact + (soft - soft.detach());
}

WeightFactors initial_factors(const mlg::GeneratedWeight& w) {
  const double fan_in = static_cast<double>(w.in) * w.span;
  const auto normal = [](std::vector<std::int64_t> shape, double stddev) { return torch::randn(shape) * stddev; };
  WeightFactors f;
  if (!w.level1 && !w.level2) {
    f.coefficients = normal({w.out, w.in, w.span}, std::sqrt(2.0 / fan_in));
    return f;
  }
  if (w.level1) {
    f.basis = normal({w.basis_out, w.basis_in, w.span}, 1.0);
    f.coefficients = normal({w.basis_out, w.in, w.basis_in}, std::sqrt(2.0 / fan_in / w.basis_in));
  } else {
    f.coefficients = normal({w.basis_out, w.in, w.span}, std::sqrt(2.0 / fan_in));
  }
  if (w.level2) f.mixing = normal({w.out, w.basis_out}, 1.0 / std::sqrt(static_cast<double>(w.basis_out)));
  return f;
}

torch::Tensor generate_weight(const mlg::GeneratedWeight& w, const WeightFactors& f) {
  torch::Tensor w1 = quantize_stored(f.coefficients, w.coefficients.bits);
  if (w.level1) w1 = torch::bmm(w1, quantize_stored(f.basis, w.basis.bits));  // (bo, in, bi) x (bo, bi, span)
  torch::Tensor full = w1.reshape({w.basis_out, w.in * w.span});
  if (w.level2) full = torch::mm(quantize_stored(f.mixing, w.mixing.bits), full);
  return full;
}

void fit_factors(const mlg::GeneratedWeight& w, WeightFactors& f, const torch::Tensor& target_in, int steps, double lr,
                 bool svd) {
  const torch::Tensor target = target_in.detach().reshape({w.out, w.in * w.span});
  if (!w.level1 && !w.level2) {
    torch::NoGradGuard no_grad;
    if (w.coefficients.bits == 32) {
      f.coefficients.copy_(target.view(f.coefficients.sizes()));
      return;
    }
    // Coded: the quantizer reads tanh(x) / tanh(M) on uniform levels scaled by M = max |x|, so
    // x = atanh(y tanh(M) / M) puts each weight y on its nearest level (M stays max |y|).
    const double m = target.abs().max().item<double>();
    if (m == 0) {
      f.coefficients.zero_();
      return;
    }
    const torch::Tensor t = (target * (std::tanh(m) / m)).clamp(-1 + 1e-7, 1 - 1e-7);
    f.coefficients.copy_(torch::atanh(t).view(f.coefficients.sizes()));
    return;
  }
  if (svd && w.level2 && !w.level1) {
    torch::NoGradGuard no_grad;
    const auto [p, s, qh] = torch::linalg_svd(target, false);
    const torch::Tensor root = s.slice(0, 0, w.basis_out).sqrt();
    f.mixing.copy_(p.slice(1, 0, w.basis_out) * root.unsqueeze(0));
    f.coefficients.copy_((qh.slice(0, 0, w.basis_out) * root.unsqueeze(1)).view(f.coefficients.sizes()));
  } else {
    // Projection: the factors, through their quantizers, fitted to the target.
    std::vector<torch::Tensor> factors;
    for (const torch::Tensor& t : {f.coefficients, f.basis, f.mixing})
      if (t.defined()) factors.push_back(t.detach().requires_grad_(true));
    WeightFactors trial = f;
    std::size_t k = 0;
    for (torch::Tensor* t : {&trial.coefficients, &trial.basis, &trial.mixing})
      if (t->defined()) *t = factors[k++];
    torch::optim::Adam adam(factors, torch::optim::AdamOptions(lr));
    for (int step = 0; step < steps; ++step) {
      const torch::Tensor loss = torch::mse_loss(generate_weight(w, trial), target);
      adam.zero_grad();
      loss.backward();
      adam.step();
    }
    torch::NoGradGuard no_grad;
    k = 0;
    for (torch::Tensor* t : {&f.coefficients, &f.basis, &f.mixing})
      if (t->defined()) t->copy_(factors[k++]);
  }
}

mlg::GeneratedWeight stored_weight(const mlg::GeneratedWeight& form, const WeightFactors& f) {
  mlg::GeneratedWeight w = form;
  w.coefficients = to_stored(f.coefficients, w.coefficients.bits);
  if (w.level1) w.basis = to_stored(f.basis, w.basis.bits);
  if (w.level2) w.mixing = to_stored(f.mixing, w.mixing.bits);
  return w;
}

GeneratedNetImpl::GeneratedNetImpl(const mlg::GeneratedNetwork& layout) : layout_(layout) {
  layout_.validate();
  for (std::size_t i = 0; i < layout_.ops.size(); ++i) {
    const mlg::Op& op = layout_.ops[i];
    const std::string name = "op" + std::to_string(i);
    if (op.kind == OpKind::batch_norm) {
      norms_.push_back(register_module(name + "_norm", torch::nn::BatchNorm2d(static_cast<std::int64_t>(op.scale.size()))));
      continue;
    }
    if (op.kind != OpKind::conv) continue;
    Conv c;
    c.op = static_cast<int>(i);
    c.factors = initial_factors(op.weight);
    WeightFactors& f = c.factors;
    if (f.basis.defined()) f.basis = register_parameter(name + "_basis", f.basis);
    f.coefficients = register_parameter(name + "_coefficients", f.coefficients);
    if (f.mixing.defined()) f.mixing = register_parameter(name + "_mixing", f.mixing);
    if (!op.bias.empty()) c.bias = register_parameter(name + "_bias", torch::zeros({op.out_channels}));
    convs_.push_back(c);
  }
}

torch::Tensor GeneratedNetImpl::weight_of(const Conv& c) const {
  const mlg::Op& op = layout_.ops[static_cast<std::size_t>(c.op)];
  return generate_weight(op.weight, c.factors).view({op.weight.out, op.weight.in, op.kernel_rows, op.kernel_cols});
}

torch::Tensor GeneratedNetImpl::forward(const torch::Tensor& pixels) {
  const mlg::Shape& in = layout_.input;
  torch::Tensor x = pixels.view({pixels.size(0), in.channels, in.rows, in.cols}) *
                    torch::tensor(layout_.input_scale, torch::kFloat32);
  std::vector<torch::Tensor> saved;
  std::size_t conv = 0, norm = 0;
  for (const mlg::Op& op : layout_.ops) {
    switch (op.kind) {
      case OpKind::conv: {
        const Conv& c = convs_[conv++];
        x = torch::conv2d(x, weight_of(c), c.bias, op.stride, op.padding);
        break;
      }
      case OpKind::batch_norm:
        x = norms_[norm++]->forward(x);
        break;
      case OpKind::relu:
        x = torch::relu(x);
        break;
      case OpKind::max_pool:
        x = torch::max_pool2d(x, op.pool, op.pool);
        break;
      case OpKind::global_avg_pool:
        x = x.mean({2, 3}, true);
        break;
      case OpKind::save:
        saved.push_back(x);
        break;
      case OpKind::add: {
        torch::Tensor s = saved.back();
        saved.pop_back();
        if (s.size(2) != x.size(2) || s.size(3) != x.size(3)) {
          const std::int64_t k = s.size(2) / x.size(2);
          s = s.slice(2, 0, s.size(2), k).slice(3, 0, s.size(3), k);
        }
        if (s.size(1) != x.size(1)) {
          const std::int64_t pad = (x.size(1) - s.size(1)) / 2;
          s = torch::constant_pad_nd(s, {0, 0, 0, 0, pad, x.size(1) - s.size(1) - pad});
        }
        x = x + s;
        break;
      }
    }
  }
  return x.view({x.size(0), -1});
}

std::vector<torch::Tensor> GeneratedNetImpl::generated_weights() {
  std::vector<torch::Tensor> out;
  for (const Conv& c : convs_) out.push_back(weight_of(c));
  return out;
}

torch::Tensor GeneratedNetImpl::orthonormality_loss() {
  std::vector<torch::Tensor> terms;
  for (const Conv& c : convs_) {
    const mlg::GeneratedWeight& w = layout_.ops[static_cast<std::size_t>(c.op)].weight;
    if (w.level1) {
      terms.push_back(gram_error(torch::bmm(c.factors.basis, c.factors.basis.transpose(1, 2))));
      const torch::Tensor u = c.factors.coefficients / c.factors.coefficients.detach().norm(2, {1}, true).clamp_min(1e-12);
      terms.push_back(gram_error(torch::bmm(u.transpose(1, 2), u)));
    } else if (w.level2) {
      const torch::Tensor rows = c.factors.coefficients.reshape({w.basis_out, -1});
      const torch::Tensor u = rows / rows.detach().norm(2, {1}, true).clamp_min(1e-12);
      terms.push_back(gram_error(torch::mm(u, u.t())));
    }
    if (w.level2) {
      const torch::Tensor v = c.factors.mixing / c.factors.mixing.detach().norm(2, {0}, true).clamp_min(1e-12);
      terms.push_back(gram_error(torch::mm(v.t(), v)));
    }
  }
  if (terms.empty()) return torch::zeros({});
  return torch::stack(terms).mean();
}

void GeneratedNetImpl::start_from(GeneratedNetImpl& teacher, int steps, double lr, bool svd) {
  if (teacher.convs_.size() != convs_.size() || teacher.norms_.size() != norms_.size())
    throw Error("start from a teacher: another architecture");
  std::vector<torch::Tensor> targets;
  {
    torch::NoGradGuard no_grad;
    targets = teacher.generated_weights();
  }
  for (std::size_t k = 0; k < convs_.size(); ++k) {
    Conv& c = convs_[k];
    const mlg::GeneratedWeight& w = layout_.ops[static_cast<std::size_t>(c.op)].weight;
    if (targets[k].sizes() != weight_of(c).sizes()) throw Error("start from a teacher: layer shapes differ");
    fit_factors(w, c.factors, targets[k], steps, lr, svd);
    if (c.bias.defined()) {
      torch::NoGradGuard no_grad;
      c.bias.copy_(teacher.convs_[k].bias);
    }
  }
  torch::NoGradGuard no_grad;
  for (std::size_t k = 0; k < norms_.size(); ++k) {
    norms_[k]->weight.copy_(teacher.norms_[k]->weight);
    norms_[k]->bias.copy_(teacher.norms_[k]->bias);
    norms_[k]->running_mean.copy_(teacher.norms_[k]->running_mean);
    norms_[k]->running_var.copy_(teacher.norms_[k]->running_var);
  }
}

mlg::GeneratedNetwork GeneratedNetImpl::export_network() const {
  torch::NoGradGuard no_grad;
  mlg::GeneratedNetwork n = layout_;
  std::size_t conv = 0, norm = 0;
  for (mlg::Op& op : n.ops) {
    if (op.kind == OpKind::conv) {
      const Conv& c = convs_[conv++];
      op.weight = stored_weight(op.weight, c.factors);
      if (c.bias.defined()) op.bias = to_floats(c.bias);
    } else if (op.kind == OpKind::batch_norm) {
      const torch::nn::BatchNorm2d& bn = norms_[norm++];
      const torch::Tensor inv =
          bn->weight.to(torch::kFloat64) / torch::sqrt(bn->running_var.to(torch::kFloat64) + bn->options.eps());
      op.scale = to_floats(inv);
      op.shift = to_floats(bn->bias.to(torch::kFloat64) - bn->running_mean.to(torch::kFloat64) * inv);
    }
  }
  n.validate();
  return n;
}

void GeneratedNetImpl::import_network(const mlg::GeneratedNetwork& network) {
  if (network.ops.size() != layout_.ops.size() || network.input != layout_.input)
    throw Error("import a network: another architecture");
  torch::NoGradGuard no_grad;
  std::size_t conv = 0, norm = 0;
  for (std::size_t i = 0; i < network.ops.size(); ++i) {
    const mlg::Op& op = network.ops[i];
    if (op.kind != layout_.ops[i].kind) throw Error("import a network: another architecture");
    if (op.kind == OpKind::conv) {
      Conv& c = convs_[conv++];
      const mlg::GeneratedWeight& w = op.weight;
      const torch::Tensor& u = c.factors.coefficients;
      if (w.level1 || w.level2 || w.coefficients.bits != 32 || c.factors.basis.defined() || c.factors.mixing.defined() ||
          u.numel() != static_cast<std::int64_t>(w.coefficients.size()))
        throw Error("import a network: only float networks stored whole (method full) can teach");
      u.copy_(stored_values(w.coefficients, u.sizes().vec()));
      if (c.bias.defined()) c.bias.copy_(torch::tensor(op.bias));
    } else if (op.kind == OpKind::batch_norm) {
      torch::nn::BatchNorm2d& bn = norms_[norm++];
      bn->weight.copy_(torch::tensor(op.scale));
      bn->bias.copy_(torch::tensor(op.shift));
      bn->running_mean.zero_();
      bn->running_var.fill_(1.0 - bn->options.eps());
    }
  }
}

double generated_accuracy(GeneratedNet& model, const ImageSet& images) {
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

namespace {

// What a checkpoint was made for: a resumed run must have the same layout and recipe.
std::string signature(const mlg::GeneratedNetwork& layout, const GeneratedTrainOptions& o, bool taught) {
  const mlg::GeneratedNetwork::Memory m = layout.memory();
  char s[512];
  std::snprintf(s, sizeof s, "%s %s %zu ops %llu bits | epochs %d batch %d lr %g wd %g shift %d seed %llu alpha %g T %g ortho %g init %s %d %g taught %d",
                layout.name.c_str(), layout.method.c_str(), layout.ops.size(),
                static_cast<unsigned long long>(m.total_bits()), o.epochs, o.batch, o.lr, o.weight_decay, o.augment_shift,
                static_cast<unsigned long long>(o.seed), o.distill_alpha, o.distill_temperature, o.orthonormality,
                o.init.c_str(), o.projection_steps, o.projection_lr, taught ? 1 : 0);
  return s;
}

}  // namespace

GeneratedTrainResult train_generated(const mlg::GeneratedNetwork& layout, const GeneratedTrainOptions& opt,
                                     const ImageSet& train_set, const ImageSet& val_set, const mlg::GeneratedNetwork* teacher_network) {
  if (train_set.count() == 0) throw Error("generated training: no training images");
  if (opt.epochs < 1 || opt.batch < 1) throw Error("generated training: epochs and batch must be positive");
  if (!(opt.distill_alpha >= 0 && opt.distill_alpha <= 1) || !(opt.distill_temperature > 0) || !(opt.orthonormality >= 0))
    throw Error("generated training: alpha in [0, 1], temperature > 0, orthonormality >= 0");
  if (opt.init != "projection" && opt.init != "svd" && opt.init != "random")
    throw Error("generated training: init '" + opt.init + "' (expected projection, svd or random)");
  if (train_set.rows != layout.input.rows || train_set.cols != layout.input.cols)
    throw Error("generated training: the network takes " + std::to_string(layout.input.rows) + "x" +
                std::to_string(layout.input.cols) + " images, the data are " + std::to_string(train_set.rows) + "x" +
                std::to_string(train_set.cols));
  torch::manual_seed(opt.seed);
  GeneratedNet model(layout);
  GeneratedNet teacher{nullptr};
  if (teacher_network != nullptr) {
    mlg::GeneratedNetwork teacher_layout = *teacher_network;
    teacher = GeneratedNet(teacher_layout);
    teacher->import_network(*teacher_network);
    teacher->eval();
  }
  GeneratedTrainResult result;
  const std::string sig = signature(layout, opt, teacher_network != nullptr);

  std::vector<torch::Tensor> weights, others;  // weight decay on weights only
  for (const auto& p : model->named_parameters())
    (p.key().find("_norm") != std::string::npos || p.key().find("_bias") != std::string::npos ? others : weights)
        .push_back(p.value());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(weights, std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(opt.lr).weight_decay(opt.weight_decay)));
  groups.emplace_back(others, std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(opt.lr)));
  torch::optim::Adam optimizer(std::move(groups), torch::optim::AdamOptions(opt.lr));

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
  std::vector<torch::Tensor> best;
  int first_epoch = 1;
  const bool resuming = opt.resume && !opt.checkpoint.empty() && std::filesystem::exists(opt.checkpoint);
  if (resuming) {
    torch::serialize::InputArchive in;
    try {
      in.load_from(opt.checkpoint.string());
    } catch (const std::exception&) {
      throw Error(opt.checkpoint.string() + ": not a readable training checkpoint");
    }
    c10::IValue v;
    if (!in.try_read("signature", v) || !v.isString() || v.toStringRef() != sig)
      throw Error(opt.checkpoint.string() + ": a checkpoint of another configuration (" +
                  (v.isString() ? v.toStringRef() : std::string("none")) + ")");
    torch::serialize::InputArchive m, o;
    in.read("model", m);
    model->load(m);
    in.read("optimizer", o);
    optimizer.load(o);
    torch::Tensor log, best_state_count;
    in.read("log", log);
    in.read("best_count", best_state_count);
    for (std::int64_t i = 0; i < best_state_count.item<std::int64_t>(); ++i) {
      torch::Tensor t;
      in.read("best" + std::to_string(i), t);
      best.push_back(t);
    }
    for (std::int64_t r = 0; r < log.size(0); ++r) {
      const auto row = log[r];
      result.log.push_back({static_cast<int>(row[0].item<double>()), row[1].item<double>(), row[2].item<double>(),
                            row[3].item<double>(), row[4].item<double>()});
    }
    for (const auto& e : result.log)
      if (result.best_epoch == 0 || e.val_accuracy > result.best_val_accuracy) {
        result.best_val_accuracy = e.val_accuracy;
        result.best_epoch = e.epoch;
      }
    first_epoch = static_cast<int>(result.log.size()) + 1;
    result.resumed_from = first_epoch - 1;
  } else if (teacher && opt.init != "random") {
    model->start_from(*teacher, opt.projection_steps, opt.projection_lr, opt.init == "svd");
  }
  const auto save_checkpoint = [&] {
    if (opt.checkpoint.empty()) return;
    torch::serialize::OutputArchive out, m, o;
    out.write("signature", c10::IValue(sig));
    model->save(m);
    out.write("model", m);
    optimizer.save(o);
    out.write("optimizer", o);
    torch::Tensor log = torch::zeros({static_cast<std::int64_t>(result.log.size()), 5}, torch::kFloat64);
    for (std::size_t r = 0; r < result.log.size(); ++r) {
      const GeneratedEpoch& e = result.log[r];
      const double row[5] = {static_cast<double>(e.epoch), e.loss, e.train_accuracy, e.val_accuracy, e.seconds};
      for (int k = 0; k < 5; ++k) log[static_cast<std::int64_t>(r)][k] = row[k];
    }
    out.write("log", log);
    out.write("best_count", torch::tensor(static_cast<std::int64_t>(best.size())));
    for (std::size_t i = 0; i < best.size(); ++i) out.write("best" + std::to_string(i), best[i]);
    const std::filesystem::path temporary = opt.checkpoint.string() + ".partial";
    out.save_to(temporary.string());
    std::filesystem::rename(temporary, opt.checkpoint);
  };

  for (int epoch = first_epoch; epoch <= opt.epochs; ++epoch) {
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
    double loss_sum = 0;
    std::int64_t correct = 0;
    for (std::int64_t b = 0; b < batches; ++b) {
      const torch::Tensor idx = order.slice(0, b * opt.batch, std::min<std::int64_t>((b + 1) * opt.batch, x.size(0)));
      const torch::Tensor batch_x = x.index_select(0, idx), labels = y.index_select(0, idx);
      const torch::Tensor logits = model->forward(batch_x);
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
      if (opt.orthonormality > 0) loss = loss + opt.orthonormality * model->orthonormality_loss();
      const double value = optimizer_step(optimizer, loss, "generated training", epoch);
      loss_sum += value * static_cast<double>(idx.size(0));
      correct += logits.argmax(1).eq(labels).sum().item<std::int64_t>();
      bar.update(static_cast<std::size_t>(b + 1));
    }
    GeneratedEpoch e;
    e.epoch = epoch;
    e.loss = loss_sum / static_cast<double>(x.size(0));
    e.train_accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(x.size(0));
    e.val_accuracy = generated_accuracy(model, val_set);
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
    save_checkpoint();
    if (opt.stop_after > 0 && epoch >= opt.stop_after) break;
  }
  restore(best);
  model->eval();
  result.model = model;
  return result;
}

}  // namespace mbi::train
