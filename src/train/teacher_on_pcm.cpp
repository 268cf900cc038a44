#include "mbi/train/teacher_on_pcm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "mbi/core/csv_table.hpp"
#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/core/spread.hpp"
#include "mbi/eval/ledger.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/teacher_classifier.hpp"

namespace mbi::train {

std::uint64_t program_teacher_into_pcm(RamModel& model, const cim::AnalogConfig& config, const cim::AnalogCells& cells) {
  torch::NoGradGuard no_grad;
  std::uint64_t devices = 0, stream = 0;
  for (auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& p = item.value();
    if (name.rfind("baseline_fc.", 0) == 0 || p.dim() != 2) continue;  // training only; biases stay digital
    // A Linear's weight is [outputs, inputs], an output's weights together: the crossbar's layout.
    const torch::Tensor w = p.detach().to(torch::kCPU, torch::kFloat).contiguous();
    const auto outputs = static_cast<std::size_t>(w.size(0)), fan_in = static_cast<std::size_t>(w.size(1));
    const cim::PcmMatrix m = cim::program_pcm_matrix(w.data_ptr<float>(), outputs, fan_in, config, cells, stream++);
    torch::Tensor read = torch::empty_like(w);
    float* r = read.data_ptr<float>();
    for (std::size_t o = 0; o < outputs; ++o)
      for (std::size_t j = 0; j < fan_in; ++j) r[o * fan_in + j] = m.weight(o, j);
    p.copy_(read.to(p.device()));
    devices += m.devices;
  }
  return devices;
}

namespace {

double accuracy_of(RamModel& model, const ImageSet& images, int batch) {
  TeacherClassifier teacher(model, batch);
  std::vector<int> predictions(images.count());
  eval::Ledger ledger;
  teacher.classify(images, predictions, ledger);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < images.count(); ++i) correct += predictions[i] == images.labels[i] ? 1 : 0;
  return images.count() ? 100.0 * static_cast<double>(correct) / static_cast<double>(images.count()) : 0.0;
}

}  // namespace

io::ResultFiles teacher_pcm_study(const std::filesystem::path& model_file, const ImageSet& images,
                                  const TeacherPcmOptions& o) {
  if (o.devices.empty() || o.slices.empty() || o.seconds.empty() || o.seeds < 1)
    throw Error("teacher on PCM: no points or devices");
  for (const double t : o.seconds)
    if (!(t >= 0 && std::isfinite(t))) throw Error("teacher on PCM: times must be finite and >= 0");
  LoadedModel loaded = load_model(model_file);
  RamModel& model = loaded.model;
  // The trained weights, kept to restore before each device programs them (not re-read from the file).
  std::vector<torch::Tensor> trained;
  for (const auto& p : model->parameters()) trained.push_back(p.detach().clone());
  const auto restore = [&] {
    torch::NoGradGuard no_grad;
    auto params = model->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(trained[i]);
  };
  model->eval();
  const RamConfig& rc = model->config();
  if (rc.image_rows != images.rows || rc.image_cols != images.cols || rc.classes != images.classes)
    throw Error(model_file.string() + ": the teacher is made for " + std::to_string(rc.image_rows) + "x" +
                std::to_string(rc.image_cols) + " images of " + std::to_string(rc.classes) + " classes, given " +
                std::to_string(images.rows) + "x" + std::to_string(images.cols) + " of " + std::to_string(images.classes));
  const double clean = accuracy_of(model, images, o.batch);
  std::vector<bool> compensations = {true};
  if (o.uncompensated) compensations.push_back(false);
  ProgressBar bar("teacher on PCM", o.devices.size() * o.slices.size() * o.seconds.size() * compensations.size() *
                                        static_cast<std::size_t>(o.seeds),
                  o.progress);
  std::size_t done = 0;
  io::ResultFiles out;
  CsvTable t({"devices_per_weight", "slices", "seconds", "compensation", "mean_accuracy", "stddev_accuracy",
              "min_accuracy", "max_accuracy", "clean_accuracy", "ideal_accuracy", "devices", "seeds"});
  nlohmann::json rows = nlohmann::json::array();
  std::vector<std::string> series;
  for (const int devices : o.devices)
    for (const int slices : o.slices) {
      cim::AnalogConfig config;
      config.devices = devices;
      config.slices = slices;
      config.rows = std::max(config.rows, config.cells_per_weight());  // no tiles here: only the devices matter
      config.validate();
      restore();
      const std::uint64_t device_count = program_teacher_into_pcm(model, config, {.pcm = o.pcm, .ideal = true, .seed = o.seed});
      const double ideal = accuracy_of(model, images, o.batch);
      for (const bool compensation : compensations) {
        series.push_back(fmt::format("'' every ::1 using ($1=={0} && $2=={1} && $4=={2} ? $3 : 1/0):5:6 with yerrorlines "
                                     "title 'k{0} s{1}{3}'",
                                     devices, slices, compensation ? 1 : 0, compensation ? "" : " uncompensated"));
        for (const double seconds : o.seconds) {
          std::vector<double> accuracies;
          for (int d = 0; d < o.seeds; ++d) {
            restore();
            program_teacher_into_pcm(model, config,
                                     {.pcm = o.pcm, .seconds = seconds, .drift_compensation = compensation,
                                      .seed = o.seed + static_cast<std::uint64_t>(d)});
            accuracies.push_back(accuracy_of(model, images, o.batch));
            bar.update(++done);
          }
          const Spread spread = spread_of(accuracies);
          const double mean = spread.mean, stddev = spread.stddev;
          t.add({cell(static_cast<double>(devices)), cell(static_cast<double>(slices)), cell(seconds),
                 compensation ? "1" : "0", cell(mean), cell(stddev), cell(spread.min), cell(spread.max), cell(clean), cell(ideal),
                 cell(static_cast<double>(device_count)), cell(static_cast<double>(o.seeds))});
          rows.push_back({{"devices_per_weight", devices},
                          {"slices", slices},
                          {"seconds", seconds},
                          {"compensation", compensation},
                          {"mean_accuracy", mean},
                          {"stddev_accuracy", stddev},
                          {"min_accuracy", spread.min},
                          {"max_accuracy", spread.max},
                          {"clean_accuracy", clean},
                          {"ideal_accuracy", ideal},
                          {"devices", device_count},
                          {"accuracies", accuracies}});
          out.notes.push_back(fmt::format(
              "{} device(s) per weight, {} slices, {:g} s, {}: {:.2f} +- {:.2f} % over {} devices (clean {:.2f} %, ideal "
              "devices {:.2f} %)",
              devices, slices, seconds, compensation ? "compensated" : "uncompensated", mean, stddev, o.seeds, clean, ideal));
        }
      }
    }
  bar.finish();
  out.tables.emplace_back("teacher_pcm", t);
  if (o.seconds.size() > 1) {
    std::string plot =
        "set datafile separator ','\nset title 'The RAM teacher with its weights in PCM: accuracy against time since "
        "programming'\nset logscale x\nset xrange [0.5:*]\nset xlabel 'seconds since programming'\n"
        "set ylabel 'test accuracy (%)'\nset key below\nplot 'teacher_pcm.csv'";
    for (std::size_t i = 0; i < series.size(); ++i) {
      plot.append(i == 0 ? " " : ", ");
      plot.append(series[i], i == 0 ? 3 : 0);  // the first drops the "''" that repeats the file name
    }
    out.plots.emplace_back("teacher_pcm_time", plot + "\n");
  }
  out.summary = {{"model", model_file.string()},
                 {"checksum", loaded.checksum},
                 {"images", images.count()},
                 {"devices", o.seeds},
                 {"seed", o.seed},
                 {"converters", "not modelled: float activations, weights read back from the devices"},
                 {"points", rows}};
  return out;
}

}  // namespace mbi::train
