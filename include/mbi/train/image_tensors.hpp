#pragma once
// Image sets as LibTorch tensors, and the distillation loss the image classifiers train with.
#include <torch/torch.h>

#include "mbi/core/image_set.hpp"

namespace mbi::train {

// Pixels as floats in [0, 255], shape (count, rows * cols).
torch::Tensor to_pixels(const ImageSet& set);
// Labels as int64, shape (count).
torch::Tensor to_labels(const ImageSet& set);

// Knowledge distillation (Hinton et al., 2015):
//   alpha T^2 KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) CE(student, labels).
torch::Tensor distillation_loss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& labels,
                                double alpha, double temperature);

}  // namespace mbi::train
