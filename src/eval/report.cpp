#include "mbi/eval/report.hpp"

#include <chrono>


namespace mbi::eval {

double Report::accuracy() const {
  return images == 0 ? 0.0 : 100.0 * static_cast<double>(correct) / static_cast<double>(images);
}

double Report::images_per_second() const { return seconds > 0 ? static_cast<double>(images) / seconds : 0.0; }

std::optional<double> Report::metric(const std::string& name) const {
  for (const auto& [key, value] : metrics)
    if (key == name) return value;
  return std::nullopt;
}

Report evaluate(Classifier& classifier, const ImageSet& images, const EvaluationInput& input,
                const EnergyTable* energy, const Provenance& provenance, std::vector<int>* predictions) {
  Report r;
  r.system = classifier.system();
  r.dataset = input.dataset;
  r.split = input.split;
  r.images = images.count();
  r.footprint = classifier.footprint();
  r.provenance = provenance;
  std::vector<int> predicted(images.count(), -1);
  const auto t0 = std::chrono::steady_clock::now();
  classifier.classify(images, predicted, r.events);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (std::size_t i = 0; i < images.count(); ++i) r.correct += predicted[i] == images.labels[i] ? 1 : 0;
  r.metrics = classifier.metrics();
  if (energy != nullptr) r.energy = energy->price(r.events, static_cast<double>(images.count()));
  if (predictions != nullptr) *predictions = std::move(predicted);
  return r;
}

}  // namespace mbi::eval
