#pragma once
// A teacher and the table distilled from it, in one call: the unit of a design sweep
// (`mbi experiment fig3`). Train a RAM of the given architecture with a recipe, score it on
// validation and test images, then distill the training images into table rows and add the
// DAgger rounds' rows, as `mbi distill` does by default (eq. 1 weights 30/16/10 during the
// rounds; trees and tuned weights are the caller's).
#include <filesystem>
#include <optional>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table_data.hpp"
#include "mbi/search/kmeans_tree.hpp"
#include "mbi/train/trainer.hpp"

namespace mbi::train {

struct TeacherTableRecipe {
  TrainOptions train;                  // its run_dir holds checkpoints (resumable); seed seeds everything
  std::string device = "auto";         // auto, cpu or cuda
  std::size_t table_images = 0;        // training images distilled (a seeded subset; 0: all of them)
  int dagger_rounds = 3;               // as `mbi distill`
  int augment_shift = 2;               // pixels: the DAgger rounds' shifted copies
  std::vector<double> dagger_weights = {30, 16, 10};  // eq. 1 a, b, c the rounds search with
  KMeansTreeParams tree;               // the rounds' per-step trees
  int threads = 1;                     // the rounds' lookups
  std::filesystem::path model_out;     // when set, the trained teacher is saved there
};

struct TeacherTable {
  RamConfig config;  // with its input statistics fitted to the training images
  TrainResult training;
  double val_accuracy = 0;   // the best validation accuracy of training
  double test_accuracy = 0;  // the teacher's own, deterministic locations
  double train_seconds = 0;  // training (every epoch, a resumed run's earlier ones too) and the test pass
  double table_seconds = 0;  // distillation and DAgger rounds
  std::size_t table_images = 0;
  TableData table;           // rows and eq. 1 weights; no tree
};

// Throws mbi::Error for a quantisation the table cannot take (float glimpse or hidden state).
TeacherTable train_teacher_and_table(const RamConfig& config, const TeacherTableRecipe& recipe, const ImageSet& train,
                                     const ImageSet& val, const ImageSet& test);

}  // namespace mbi::train
