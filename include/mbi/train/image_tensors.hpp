#pragma once
// Image sets as LibTorch tensors, and what the image classifiers' trainings share: the
// distillation loss, the cosine learning rate, one checked optimizer step.
#include <torch/torch.h>

#include <string>

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

// Sets every group of `optimizer` to lr (1 + cos(pi (epoch - 1) / epochs)) / 2 (epochs from 1).
void set_cosine_lr(torch::optim::Adam& optimizer, double lr, int epoch, int epochs);

// loss.backward() and one step of `optimizer`; returns the loss. Throws mbi::Error ("<who>: the
// loss became nan in epoch E; lower --lr") before stepping when the loss is not finite.
double optimizer_step(torch::optim::Optimizer& optimizer, const torch::Tensor& loss, const std::string& who, int epoch);

}  // namespace mbi::train
