#include "mbi/train/image_tensors.hpp"

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

}  // namespace mbi::train
