#include "mbi/train/image_tensors.hpp"

#include <cmath>
#include <numbers>

#include "mbi/core/error.hpp"

namespace mbi::train {

torch::Tensor to_pixels(const ImageSet& set) {
  const auto n = static_cast<std::int64_t>(set.count());
  const auto d = static_cast<std::int64_t>(set.pixels_per_image());
  return torch::from_blob(const_cast<std::uint8_t*>(set.pixels.data()), {n, d}, torch::kUInt8).to(torch::kFloat32);
}

torch::Tensor to_labels(const ImageSet& set) {
  const auto n = static_cast<std::int64_t>(set.count());
  return torch::from_blob(const_cast<std::uint8_t*>(set.labels.data()), {n}, torch::kUInt8).to(torch::kLong);
}

torch::Tensor distillation_loss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& labels,
                                double alpha, double temperature) {
  namespace F = torch::nn::functional;
  const double t = temperature;
  const torch::Tensor kd = F::kl_div(F::log_softmax(student / t, F::LogSoftmaxFuncOptions(1)),
                                     F::softmax(teacher / t, F::SoftmaxFuncOptions(1)),
                                     F::KLDivFuncOptions().reduction(torch::kBatchMean)) *
                           (t * t);
  return alpha * kd + (1 - alpha) * F::cross_entropy(student, labels);
}

void set_cosine_lr(torch::optim::Adam& optimizer, double lr, int epoch, int epochs) {
  const double now = lr * 0.5 * (1 + std::cos(std::numbers::pi * (epoch - 1) / epochs));
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(now);
}

double optimizer_step(torch::optim::Optimizer& optimizer, const torch::Tensor& loss, const std::string& who, int epoch) {
  const double value = loss.item<double>();
  if (!std::isfinite(value))
    throw Error(who + ": the loss became " + std::to_string(value) + " in epoch " + std::to_string(epoch) + "; lower --lr");
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  return value;
}

}  // namespace mbi::train
