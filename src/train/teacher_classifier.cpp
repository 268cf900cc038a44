#include "mbi/train/teacher_classifier.hpp"

#include "mbi/core/error.hpp"
#include "mbi/train/trainer.hpp"

namespace mbi::train {

std::uint64_t teacher_macs_per_image(const RamConfig& c) {
  const auto u = [](int v) { return static_cast<std::uint64_t>(v); };
  const std::uint64_t rec_width = c.added_core_layers > 0 ? u(c.core_width) : u(c.hidden);
  std::uint64_t core = u(c.phi_size()) * u(c.glimpse_hidden) + 2 * u(c.loc_hidden) +
                       u(c.glimpse_hidden) * u(c.glimpse_out) + u(c.loc_hidden) * u(c.glimpse_out) +
                       u(c.glimpse_out) * rec_width + u(c.hidden) * rec_width;
  for (int i = 0; i < c.added_core_layers; ++i)
    core += u(c.core_width) * (i + 1 == c.added_core_layers ? u(c.hidden) : u(c.core_width));
  const std::uint64_t heads = u(c.hidden) * u(c.loc_net_hidden) + u(c.loc_net_hidden) * 2 + u(c.hidden);
  const std::uint64_t steps = c.glimpses > 0 ? u(c.glimpses) : 0;
  return steps * core + (steps > 0 ? steps - 1 : 0) * heads + u(c.hidden) * u(c.classes);
}

eval::Footprint TeacherClassifier::footprint() const {
  std::uint64_t parameters = 0;
  for (const auto& p : model_->parameters()) parameters += static_cast<std::uint64_t>(p.numel());
  eval::Footprint f;
  f.add("model.weights", parameters * sizeof(float));
  return f;
}

void TeacherClassifier::classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) {
  const RamConfig& c = model_->config();
  if (predictions.size() != images.count())
    throw Error("teacher: " + std::to_string(predictions.size()) + " predictions for " + std::to_string(images.count()) +
                " images");
  if (images.count() > 0 && (images.rows != c.image_rows || images.cols != c.image_cols))
    throw Error("teacher: images are " + std::to_string(images.rows) + "x" + std::to_string(images.cols) +
                ", the model was trained on " + std::to_string(c.image_rows) + "x" + std::to_string(c.image_cols));
  const std::vector<int> predicted = predict(model_, images, batch_);
  std::copy(predicted.begin(), predicted.end(), predictions.begin());
  ledger.add("digital.mac", teacher_macs_per_image(c) * images.count());
}

}  // namespace mbi::train
