#pragma once
// One pass of the RAM over a batch of images: glimpses are taken in plain C++ (the same
// code lookup inference uses), the networks run in LibTorch.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "mbi/data/idx.hpp"
#include "mbi/lookup/glimpse.hpp"
#include "mbi/train/ram_model.hpp"

namespace mbi::train {

// A batch of normalised images, ready for glimpses.
struct Batch {
  std::vector<IntegralImage> images;
  torch::Tensor labels;  // int64 [B]
  std::size_t size() const { return images.size(); }
};

// Images set.image(indices[begin..end)) normalised with config's mean/std. With
// `shifts` ([end-begin] pairs), image i is translated by shifts[i] pixels (zero fill).
Batch make_batch(const ImageSet& set, const std::vector<std::size_t>& indices, std::size_t begin,
                 std::size_t end, const RamConfig& config,
                 const std::vector<std::pair<int, int>>* shifts = nullptr);

// What the teacher did at one glimpse step, in the table's integer form. Arrays are
// row-major [B, ...]. Used by distillation.
struct StepRecord {
  int step = 0;
  std::vector<std::uint8_t> phi;          // [B, phi_size] glimpse levels
  std::vector<std::uint8_t> hidden_prev;  // [B, hidden] h_{t-1} levels
  std::vector<std::int16_t> loc;          // [B, 2] pixel (x, y) where the glimpse was taken
  std::vector<std::uint8_t> hidden_next;  // [B, hidden] h_t levels
  std::vector<std::int16_t> loc_next;     // [B, 2] pixel (x, y) of the next glimpse
  std::vector<std::uint8_t> prediction;   // [B] argmax class from h_t
};

struct RolloutOutput {
  torch::Tensor log_probs;  // [B, classes] from the last hidden state
  torch::Tensor log_pi;     // [B, glimpses-1] log-density of each sampled location
  torch::Tensor baselines;  // [B, glimpses-1] baseline for each sampled location
};

struct RolloutOptions {
  bool sample = false;  // sample locations from the Gaussian policy (training)
  // Start locations [B, 2] in [-1, 1]; when undefined, the config's start policy decides.
  torch::Tensor start;
  // Standard normal draws [glimpses-1, B, 2] for the sampled locations; when undefined they
  // are drawn here, step by step. Data-parallel training draws them for the whole global
  // batch and hands each rank its rows, so that the ranks sample what one process would.
  torch::Tensor noise;
  std::function<void(const StepRecord&)> record;  // called once per step when set
};

RolloutOutput rollout(RamModel& model, const Batch& batch, const RolloutOptions& options);

// The model's pixel-snapped start locations for a batch of `n` images.
torch::Tensor start_locations(const RamConfig& config, std::int64_t n);

}  // namespace mbi::train
