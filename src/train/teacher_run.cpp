#include "mbi/train/teacher_run.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "mbi/core/error.hpp"
#include "mbi/train/model_file.hpp"

namespace mbi::train {

TrainedTeacher train_teacher(const TeacherRun& run, const ImageSet& train, const ImageSet& val) {
  if (run.device != "auto" && run.device != "cpu" && run.device != "cuda")
    throw Error("--device: expected auto, cpu or cuda, not '" + run.device + "'");
  RamConfig config = run.config;
  fit_input_statistics(config, train);
  torch::Device device(torch::kCPU);
  if (run.device == "cuda" || (run.device == "auto" && torch::cuda::is_available())) {
    if (!torch::cuda::is_available()) throw Error("--device cuda: no CUDA device available");
    device = torch::Device(torch::kCUDA);
  }
  torch::manual_seed(run.train.seed);
  TrainedTeacher out;
  out.model = RamModel(config);
  // In data-parallel training rank 0 reads the init file and hands its weights to the
  // others (train_ram), so the file need only be on rank 0's machine.
  const bool main_rank = run.train.distributed == nullptr || run.train.distributed->is_main();
  if (!run.init.empty() && main_rank) {
    // Start from another model's weights (e.g. quantisation-aware fine-tuning of a float
    // teacher); only the tensor shapes must agree.
    load_parameters_into(run.init, out.model);
    spdlog::info("initialised from {}", run.init.string());
  }
  out.model->to(device);
  out.result = train_ram(out.model, train, val, run.train);
  out.model->to(torch::kCPU);
  out.device = device.str();
  return out;
}

}  // namespace mbi::train
