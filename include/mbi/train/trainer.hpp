#pragma once
// Training of the RAM teacher: hybrid loss (NLL + baseline MSE + weighted REINFORCE),
// Adam, learning rate cut on plateau, early stopping on validation accuracy, and a run
// folder that makes an interrupted run resume where it stopped.
#include <filesystem>
#include <string>
#include <vector>

#include "mbi/data/idx.hpp"
#include "mbi/train/distributed.hpp"
#include "mbi/train/ram_model.hpp"

namespace mbi::train {

struct TrainOptions {
  int epochs = 200;
  int batch = 128;
  double lr = 3e-4;
  int lr_patience = 20;     // epochs without a better validation accuracy before lr *= lr_factor
  double lr_factor = 0.1;
  double min_lr = 1e-6;
  int early_stop = 50;      // epochs without a better validation accuracy before stopping
  double reinforce_weight = 0.01;
  // Training-time first locations uniform in [-1, 1]^2 (as published) whatever the
  // model's own start policy, which still decides evaluation and distillation.
  bool random_start = false;
  // Training images shifted by up to this many pixels in each axis (0 = published recipe).
  int augment_shift = 0;
  std::uint64_t seed = 1;
  std::filesystem::path run_dir;  // checkpoints, optimiser state, log.jsonl; resumable
  bool progress = true;
  std::string command;  // recorded in the model's meta
  // Data-parallel training across processes (docs/distributed.md); null: this process
  // alone. `batch` stays the global batch: each rank takes its share of every batch's rows
  // and the ranks sum their gradients, so every step is the one a single process would
  // take. Only the main rank reads and writes `run_dir`.
  const Distributed* distributed = nullptr;
};

struct EpochLog {
  int epoch = 0;
  double loss = 0, nll = 0, baseline_mse = 0, reinforce = 0;
  double train_accuracy = 0, val_accuracy = 0, lr = 0, seconds = 0;
};

struct TrainResult {
  double best_val_accuracy = 0;
  int best_epoch = 0;
  int epochs_run = 0;
  std::vector<EpochLog> log;
  std::filesystem::path best_model;  // run_dir/best.pt

  // Mean of the logged epochs' times (0 when none): a resumed run's earlier epochs count too.
  double mean_epoch_seconds() const;
};

// Trains `model` in place (it ends holding the best-validation parameters, on every rank).
TrainResult train_ram(RamModel& model, const ImageSet& train, const ImageSet& val,
                      const TrainOptions& options);

// Predicted class of every image of `set` (or of `indices` of it), with mean locations.
std::vector<int> predict(RamModel& model, const ImageSet& set, int batch = 256,
                         const std::vector<std::size_t>* indices = nullptr);

// Top-1 accuracy in percent with mean (deterministic) locations.
double evaluate_accuracy(RamModel& model, const ImageSet& set, int batch = 256);

// The glimpse quantiser range and the normalisation computed from training images.
void fit_input_statistics(RamConfig& config, const ImageSet& train);

}  // namespace mbi::train
