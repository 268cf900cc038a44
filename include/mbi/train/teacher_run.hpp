#pragma once
// One training run of a RAM teacher, start to end: seeded initialisation (from scratch or
// from another model file's weights), the device, training with its run folder, and the
// model back on the CPU, ready to save or evaluate.
#include <filesystem>
#include <string>

#include "mbi/core/image_set.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/train/ram_model.hpp"
#include "mbi/train/trainer.hpp"

namespace mbi::train {

struct TeacherRun {
  RamConfig config;  // its input statistics are fitted to the training images
  TrainOptions train;
  std::filesystem::path init;  // start from this model file's weights (same architecture); empty: from scratch
  std::string device = "auto";  // auto, cpu or cuda
};

struct TrainedTeacher {
  RamModel model{nullptr};  // on the CPU
  TrainResult result;
  std::string device;  // where it trained
};

// Throws mbi::Error for a device this machine lacks or an init file of another architecture.
TrainedTeacher train_teacher(const TeacherRun& run, const ImageSet& train, const ImageSet& val);

}  // namespace mbi::train
